// The studio console: rundown ("next", pins), moderation, encoder health and a preview.
import { attachPlayer, chatItem, connect, markRundown, pick } from "./common.js";

const root = document.querySelector("[data-console]");
const t = root.dataset;
const texts = { hide: t.textHide, mute: t.textMute, ban: t.textBan };
const log = root.querySelector("[data-chat-log]");
const errorBox = root.querySelector("[data-console-error]");
const chatError = root.querySelector("[data-chat-error]");
const rundown = root.querySelector("[data-rundown]");

function moderate(action, message) {
  if (action === "hide") socket.send({ type: "hide", message_id: message.id });
  else socket.send({ type: action, user_id: message.user_id });
}

function addMessage(message) {
  log.append(chatItem(message, { moderator: true, texts, onAction: moderate }));
  while (log.children.length > 300) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

const socket = connect(t.wsPath, (data) => {
  switch (data.type) {
    case "welcome":
      root.querySelector("[data-viewers]").textContent = data.viewers;
      data.history.forEach(addMessage);
      markRundown(rundown, data.current_item);
      break;
    case "chat": addMessage(data); break;
    case "hidden": log.querySelector(`[data-message="${data.id}"]`)?.remove(); break;
    case "presence": root.querySelector("[data-viewers]").textContent = data.viewers; break;
    case "pin":
      errorBox.textContent = "";
      root.querySelector("[data-pinned-name]").textContent = data.card ? pick(data.card.name) : "–";
      markRundown(rundown, data.current_item);
      break;
    case "error": errorBox.textContent = data.message; chatError.textContent = data.message; break;
    default: break;
  }
}, () => {});

root.querySelector("[data-next]").addEventListener("click", () => socket.send({ type: "next" }));
for (const button of root.querySelectorAll("[data-pin]")) {
  button.addEventListener("click", () => socket.send({ type: "pin", product_id: Number(button.dataset.pin) }));
}
root.querySelector("[data-announce-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  socket.send({ type: "announce", text: event.target.elements.text.value });
});
root.querySelector("[data-slow-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  socket.send({ type: "slow_mode", seconds: Number(event.target.elements.seconds.value) });
});
root.querySelector("[data-chat-form]").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.elements.text;
  if (input.value.trim()) socket.send({ type: "chat", text: input.value });
  input.value = "";
});

// Encoder health, every 2 seconds.
const health = root.querySelector("[data-health]");
async function poll() {
  try {
    const response = await fetch(t.healthUrl, { credentials: "same-origin" });
    if (response.ok) {
      const data = await response.json();
      for (const el of health.querySelectorAll("[data-h]")) {
        const value = data[el.dataset.h];
        if (value === undefined || value === null) continue;
        if (el.dataset.h === "state") {
          el.dataset.value = value;
          el.textContent = t[`text${value[0].toUpperCase()}${value.slice(1)}`] || value;
        } else {
          el.textContent = el.dataset.h === "last_data_at" ? new Date(value).toLocaleTimeString() : value;
        }
      }
      (data.destinations || []).forEach((destination, index) => {
        const row = root.querySelector(`[data-destination="${index}"]`);
        if (!row) return;
        row.querySelector("[data-status]").textContent = t[`text${destination.status[0].toUpperCase()}${destination.status.slice(1)}`] || destination.status;
        row.dataset.status = destination.status;
        row.querySelector("[data-error]").textContent = destination.error || "";
      });
    }
  } catch { /* the next poll tries again */ }
  setTimeout(poll, 2000);
}
poll();

if (t.state === "live") {
  const status = root.querySelector("[data-player-status]");
  attachPlayer(root.querySelector("[data-player]"), t.hlsUrl, t.hlsJs, { live: true, onStatus: (s) => { status.textContent = s; } });
}
