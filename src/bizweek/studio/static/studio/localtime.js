// Shows every <time data-local> in the reader's own time zone and language (the server renders
// the account's time zone, or the event's for anonymous visitors; the browser knows better).
const lang = document.documentElement.lang || undefined;
const formats = {
  date: { year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" },
  time: { hour: "2-digit", minute: "2-digit" },
  datetime: { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" },
};
for (const el of document.querySelectorAll("time[data-local]")) {
  const when = new Date(el.getAttribute("datetime"));
  if (Number.isNaN(when.getTime())) continue;
  el.textContent = new Intl.DateTimeFormat(lang, formats[el.dataset.local] || formats.datetime).format(when);
}
const zone = document.querySelector("[data-local-zone]");
if (zone) zone.textContent = `(${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
