// Keeps "in 2 hours, 5 minutes" countdowns current without reloading the page, in the
// page's language (Intl.RelativeTimeFormat). The server renders the first text, so the page
// reads the same without JavaScript.
const lang = document.documentElement.lang || "en";
const format = new Intl.RelativeTimeFormat(lang.replace("zh-hans", "zh-CN").replace("zh-hant", "zh-TW"), {
  numeric: "auto",
});

function label(ms) {
  const minutes = Math.round(ms / 60000);
  if (Math.abs(minutes) < 90) return format.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return format.format(hours, "hour");
  return format.format(Math.round(hours / 24), "day");
}

function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll("[data-countdown]")) {
    const at = Date.parse(node.dataset.countdown);
    if (!Number.isNaN(at)) node.textContent = label(at - now);
  }
}

tick();
setInterval(tick, 30000);
