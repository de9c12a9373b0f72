// Progress of a schedule draft computed in the background: poll the JSON endpoint named in
// data-progress-url, update the figures, and open the draft once it is ready.
const box = document.getElementById("draft-progress");

async function poll() {
  let data;
  try {
    const response = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    data = await response.json();
  } catch {
    setTimeout(poll, 3000);
    return;
  }
  for (const element of box.closest("main, body").querySelectorAll("[data-field]")) {
    const value = data[element.dataset.field];
    if (element.dataset.field === "run_url") {
      if (value) element.href = value;
    } else if (element.dataset.field === "error") {
      element.textContent = value || "";
      element.hidden = !value;
    } else {
      element.textContent = value === null || value === undefined ? "–" : String(value);
    }
  }
  const bar = document.getElementById("placed-bar");
  bar.max = Math.max(1, data.total);
  bar.value = data.placed;
  document.querySelector("[data-job-state]")?.setAttribute("data-job-state", data.state);
  if (data.finished) {
    document.getElementById("stop-form")?.remove();
    if (data.run_url) {
      document.getElementById("draft-ready").hidden = false;
      window.location.assign(data.run_url);
    }
    return;
  }
  setTimeout(poll, 1000);
}

if (box) setTimeout(poll, 500);
