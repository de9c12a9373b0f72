// The slot picker: one day at a time behind day tabs, and the choice counted against the
// limit as people pick (boxes beyond the limit are disabled until one is unpicked). The
// markup is a plain form of checkboxes grouped by day, which works without this script.

function setUp(picker) {
  const limit = Number(picker.dataset.limit || 5);
  const days = [...picker.querySelectorAll("fieldset.slot-day")];
  const boxes = [...picker.querySelectorAll("input[type=checkbox]")];
  const counter = picker.querySelector(".slot-count");
  if (!days.length) return;

  const tabs = document.createElement("div");
  tabs.className = "day-tabs";
  tabs.setAttribute("role", "tablist");
  const buttons = days.map((day, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "day-tab";
    button.setAttribute("role", "tab");
    button.dataset.index = String(index);
    button.textContent = day.querySelector("legend").textContent;
    const badge = document.createElement("span");
    badge.className = "day-count";
    button.append(badge);
    button.addEventListener("click", () => show(index));
    tabs.append(button);
    return button;
  });
  days[0].before(tabs);
  picker.classList.add("tabbed");

  function show(index) {
    days.forEach((day, i) => {
      day.hidden = i !== index;
      buttons[i].setAttribute("aria-selected", String(i === index));
    });
  }

  function update() {
    const chosen = boxes.filter((box) => box.checked).length;
    for (const box of boxes) box.disabled = !box.checked && chosen >= limit;
    days.forEach((day, i) => {
      const n = day.querySelectorAll("input:checked").length;
      buttons[i].querySelector(".day-count").textContent = n ? ` (${n})` : "";
    });
    if (counter && boxes.length) {
      let text = counter.dataset.template.replace("__N__", String(chosen));
      if (chosen >= limit) text += " " + counter.dataset.full;
      counter.textContent = text;
      counter.classList.toggle("full", chosen >= limit);
    }
  }

  picker.addEventListener("change", update);
  const firstChosen = days.findIndex((day) => day.querySelector("input:checked"));
  show(firstChosen >= 0 ? firstChosen : 0);
  update();
}

for (const picker of document.querySelectorAll(".slot-picker")) setUp(picker);
