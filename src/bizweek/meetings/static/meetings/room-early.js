// Before the room opens: show the opening time in the viewer's clock, reload when it opens.
const box = document.getElementById("room-early");
const opensAt = new Date(box.dataset.opensAt);
for (const time of document.querySelectorAll("time.local-time")) {
  time.textContent = new Date(time.dateTime).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}
const wait = opensAt.getTime() - Date.now();
if (wait < 24 * 3600 * 1000) setTimeout(() => location.reload(), Math.max(wait, 0) + 1000);
