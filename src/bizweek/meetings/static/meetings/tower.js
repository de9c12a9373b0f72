// Control tower: each room's status, updated live from /ws/meetings/tower/; a name filter.
const labels = JSON.parse(document.getElementById("tower-labels").textContent);
const live = document.getElementById("tower-live");

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/meetings/tower/`);
  ws.onopen = () => { live.hidden = false; };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type !== "status") return;
    const badge = document.querySelector(`tr[data-meeting="${message.meeting}"] .tower-status`);
    if (!badge) return;
    badge.dataset.status = message.status;
    badge.textContent = labels[message.status] || message.status;
  };
  ws.onclose = () => {
    live.hidden = true;
    setTimeout(connect, 2000);
  };
}
connect();

document.getElementById("tower-filter").addEventListener("input", (event) => {
  const query = event.target.value.trim().toLowerCase();
  for (const row of document.querySelectorAll("#tower tbody tr[data-meeting]")) {
    row.hidden = query && !row.dataset.names.toLowerCase().includes(query);
  }
});
