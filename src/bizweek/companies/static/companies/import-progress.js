// Progress of a spreadsheet import running in the background: poll the JSON endpoint named in
// data-progress-url, move the bar, and reload once the job is finished so the server renders
// the report (escaped, in the reader's language).
const box = document.getElementById("import-progress");

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
  for (const element of document.querySelectorAll("[data-field]")) {
    const value = data[element.dataset.field];
    if (value !== undefined && value !== null) element.textContent = String(value);
  }
  const bar = document.getElementById("import-bar");
  bar.max = Math.max(1, data.total);
  bar.value = data.done;
  document.querySelector("[data-import-state]")?.setAttribute("data-import-state", data.state);
  // Why the job still waits (no worker, or a busy one), in the reader's language; the text is
  // the server's and is set as text, never as markup.
  const waiting = document.getElementById("import-waiting");
  if (waiting) {
    waiting.textContent = data.waiting || "";
    waiting.hidden = !data.waiting;
  }
  if (data.finished) {
    window.location.reload();
    return;
  }
  setTimeout(poll, 700);
}

if (box?.dataset.progressUrl) setTimeout(poll, 300);
