// The viewer page: player (live or replay), chat, the pinned product card, "Request a consultation".
import { attachPlayer, chatItem, connect, markRundown, pick } from "./common.js";

const root = document.querySelector("[data-studio]");
const t = root.dataset;
const texts = { hide: t.textHide, mute: t.textMute, ban: t.textBan };
const video = root.querySelector("[data-player]");
const status = root.querySelector("[data-player-status]");
const log = root.querySelector("[data-chat-log]");
const chatForm = root.querySelector("[data-chat-form]");
const chatError = root.querySelector("[data-chat-error]");
const chatStatus = root.querySelector("[data-chat-status]");
const cardBox = root.querySelector("[data-pinned-card]");
const announcement = root.querySelector("[data-announcement]");
const rundown = root.querySelector("[data-rundown]");
const replay = JSON.parse(document.getElementById("studio-replay").textContent);
let state = t.state;
let you = { moderator: false };
let player = null;

function setStatus(text) { status.textContent = text; }

function startPlayer() {
  if (player !== null) return;
  player = attachPlayer(video, t.hlsUrl, t.hlsJs, { live: state === "live", onStatus: setStatus });
}

function showCard(card) {
  cardBox.classList.toggle("empty", !card);
  if (!card) return;
  cardBox.dataset.product = card.id;
  cardBox.querySelector("[data-card-name]").textContent = pick(card.name);
  cardBox.querySelector("[data-card-company]").textContent = `${pick(card.company)} · ${card.country}`;
  const price = card.price_min ? `${card.price_min}${card.price_max ? `–${card.price_max}` : ""} ${card.currency}` : "";
  const moq = card.moq ? `${t.textMoq} ${card.moq}` : "";
  cardBox.querySelector("[data-card-price]").textContent = [price, moq].filter(Boolean).join(" · ");
  cardBox.querySelector("[data-card-product]").value = card.id;
  cardBox.querySelector("[data-request-result]").textContent = "";
}

showCard(JSON.parse(document.getElementById("studio-card").textContent));

function addMessage(message) {
  log.append(chatItem(message, { moderator: you.moderator, texts, onAction: moderate }));
  while (log.children.length > 300) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function moderate(action, message) {
  if (action === "hide") socket.send({ type: "hide", message_id: message.id });
  else socket.send({ type: action, user_id: message.user_id });
}

const socket = connect(t.wsPath, (data) => {
  switch (data.type) {
    case "welcome":
      you = data.you;
      root.querySelector("[data-viewers]").textContent = data.viewers;
      data.history.forEach(addMessage);
      if (state !== "ended") { showCard(data.pinned); markRundown(rundown, data.current_item); }
      if (data.you.muted && chatStatus) chatStatus.textContent = t.textMuted;
      break;
    case "chat": addMessage(data); break;
    case "hidden": log.querySelector(`[data-message="${data.id}"]`)?.remove(); break;
    case "presence": root.querySelector("[data-viewers]").textContent = data.viewers; break;
    case "pin": showCard(data.card); markRundown(rundown, data.current_item); break;
    case "announcement":
      announcement.textContent = data.text;
      announcement.hidden = !data.text;
      break;
    case "state":
      state = data.state;
      if (state === "live") { setStatus(""); startPlayer(); }
      if (state === "ended") setStatus(t.textEnded);
      if (state === "cancelled") setStatus(t.textCancelled);
      break;
    case "restricted":
      if (you.id === data.user_id && chatStatus) chatStatus.textContent = data.kind ? t.textMuted : "";
      break;
    case "error":
      if (chatError) chatError.textContent = data.message;
      break;
    default: break;
  }
}, (s) => { if (chatStatus && !you.muted) chatStatus.textContent = s === "reconnecting" ? t.textReconnecting : ""; });

chatForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = chatForm.elements.text;
  if (!input.value.trim()) return;
  chatError.textContent = "";
  socket.send({ type: "chat", text: input.value });
  input.value = "";
});

const requestForm = cardBox.querySelector("[data-request-form]");
requestForm.addEventListener("submit", async (event) => {
  if (t.signedIn !== "1") return; // the plain form takes an anonymous visitor to the login page
  event.preventDefault();
  const result = cardBox.querySelector("[data-request-result]");
  const response = await fetch(requestForm.action, {
    method: "POST", body: new FormData(requestForm), headers: { Accept: "application/json" }, credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  result.textContent = body.detail;
  result.classList.toggle("error", !response.ok);
  if (response.ok && body.url) {
    const link = document.createElement("a");
    link.href = body.url;
    link.textContent = " →";
    result.append(link);
  }
});

// Replay: the card that was pinned at each moment; chapters seek.
if (state === "ended") {
  const pins = replay.pins || [];
  video.addEventListener("timeupdate", () => {
    let current = null;
    for (const p of pins) if (p.t <= video.currentTime) current = p;
    if (current && String(current.id) !== cardBox.dataset.product) {
      showCard(current);
      markRundown(rundown, current.rundown_item);
    }
  });
  for (const button of root.querySelectorAll("[data-seek]")) {
    button.addEventListener("click", () => { video.currentTime = Number(button.dataset.seek); video.play().catch(() => {}); });
  }
}

if (state === "live" || t.hasRecording === "1") startPlayer();
else setStatus({ ended: t.textEnded, cancelled: t.textCancelled }[state] || t.textOffline);
