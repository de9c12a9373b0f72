// HS code picker: a search in the reader's language over every HS 2022 code, filling the
// plain text field of codes next to it (which still works on its own without JavaScript).
const DELAY = 180;

function codesOf(value) {
  return value.split(/[\s,;]+/).filter(Boolean);
}

function option(item, extra = {}) {
  const li = document.createElement("li");
  const code = document.createElement("code");
  code.textContent = item.code;
  li.append(code, " ", item.name);
  li.dataset.code = item.code;
  Object.assign(li, extra);
  return li;
}

function setup(root) {
  const field = root.querySelector("input[name]");
  const search = root.querySelector(".hs-search");
  const results = root.querySelector(".hs-results");
  const chosen = root.querySelector(".hs-chosen");
  const multiple = root.dataset.hsPicker === "multi";
  const url = root.dataset.url;
  let timer = null;
  let active = -1;
  let request = 0;

  search.hidden = false;

  async function fetchItems(params) {
    const response = await fetch(`${url}?${new URLSearchParams(params)}`, {
      headers: { Accept: "application/json" },
    });
    return response.ok ? (await response.json()).items : [];
  }

  async function showChosen() {
    const codes = codesOf(field.value);
    const items = codes.length ? await fetchItems({ codes: codes.join(" ") }) : [];
    const byCode = new Map(items.map((item) => [item.code, item]));
    chosen.replaceChildren(
      ...codes.map((code) => {
        const li = option(byCode.get(code) || { code, name: "" });
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "hs-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `${root.dataset.removeLabel} ${code}`);
        remove.addEventListener("click", () => {
          field.value = codesOf(field.value).filter((c) => c !== code).join(" ");
          showChosen();
        });
        li.append(" ", remove);
        return li;
      }),
    );
  }

  function choose(code) {
    const codes = multiple ? codesOf(field.value) : [];
    if (!codes.includes(code)) codes.push(code);
    field.value = codes.join(" ");
    field.dispatchEvent(new Event("change", { bubbles: true }));
    search.value = "";
    results.hidden = true;
    search.focus();
  }

  function highlight(index) {
    const items = [...results.children].filter((li) => li.dataset.code);
    active = Math.max(-1, Math.min(index, items.length - 1));
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) items[active].scrollIntoView({ block: "nearest" });
  }

  async function runSearch() {
    const query = search.value.trim();
    const mine = ++request;
    if (!query) {
      results.hidden = true;
      return;
    }
    const items = await fetchItems({ q: query });
    if (mine !== request) return; // a newer search is on its way
    results.replaceChildren(
      ...(items.length
        ? items.map((item) => option(item, { role: "option", tabIndex: -1 }))
        : [option({ code: "", name: root.dataset.emptyLabel }, { className: "empty" })]),
    );
    results.hidden = false;
    highlight(-1);
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(runSearch, DELAY);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault(); // never submit the form from the search box
      const items = [...results.children].filter((li) => li.dataset.code);
      const pick = items[active >= 0 ? active : 0];
      if (pick && !results.hidden) choose(pick.dataset.code);
    } else if (event.key === "Escape") {
      results.hidden = true;
    }
  });
  results.addEventListener("click", (event) => {
    const li = event.target.closest("li[data-code]");
    if (li && li.dataset.code) choose(li.dataset.code);
  });
  field.addEventListener("change", showChosen);
  showChosen();
}

for (const root of document.querySelectorAll("[data-hs-picker]")) setup(root);
