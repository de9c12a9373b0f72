// Shared by the viewer page and the console: the show's WebSocket, the player, chat rendering.

export const LANG = (document.documentElement.lang || "en").toLowerCase().replace("-", "_");

export function pick(names) {
  // A product or company name in the page's language, else the first one there is.
  if (!names) return "";
  return names[LANG] || names.en || names.ko || names.zh_hans || names.zh_hant || "";
}

export function connect(path, onMessage, onStatus) {
  // Reconnects with back-off; asks for what was said since the last message it saw.
  let lastId = 0;
  let socket = null;
  let delay = 500;
  let closedForGood = false;
  const queue = [];
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}?last_id=${lastId}`);
    socket.addEventListener("open", () => {
      delay = 500;
      onStatus("open");
      while (queue.length) socket.send(queue.shift());
    });
    socket.addEventListener("message", (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch { return; }
      if (data.type === "chat") {
        if (data.id <= lastId) return; // already shown: nothing twice
        lastId = data.id;
      }
      if (data.type === "welcome") {
        data.history = data.history.filter((m) => m.id > lastId);
        for (const m of data.history) lastId = Math.max(lastId, m.id);
      }
      onMessage(data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403 || event.code === 4404) { closedForGood = true; onStatus("closed"); return; }
      onStatus("reconnecting");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }
  open();
  return {
    send(message) {
      const text = JSON.stringify(message);
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (!closedForGood) queue.push(text);
    },
  };
}

export async function attachPlayer(video, url, hlsModule, { live, onStatus }) {
  // hls.js where Media Source Extensions exist (low-latency settings), native HLS otherwise.
  let Hls = null;
  try { Hls = (await import(hlsModule)).default; } catch { Hls = null; }
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ lowLatencyMode: true, liveSyncDuration: 1.5, liveMaxLatencyDuration: 5, maxLiveSyncPlaybackRate: 1.1, manifestLoadingMaxRetry: 1000, manifestLoadingRetryDelay: 1000, levelLoadingMaxRetry: 1000 });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { onStatus(""); video.play().catch(() => {}); });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else setTimeout(() => { hls.loadSource(url); }, 2000);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    return hls;
  }
  video.src = url;
  video.addEventListener("loadedmetadata", () => { onStatus(""); video.play().catch(() => {}); });
  if (live) video.addEventListener("error", () => setTimeout(() => { video.src = url; }, 2000));
  return null;
}

export function chatItem(message, { moderator, texts, onAction }) {
  const li = document.createElement("li");
  li.dataset.message = message.id;
  const who = document.createElement("strong");
  who.textContent = message.name;
  li.append(who);
  if (message.company || message.country) {
    const meta = document.createElement("small");
    meta.className = "muted";
    meta.textContent = ` ${[message.company, message.country].filter(Boolean).join(" · ")}`;
    li.append(meta);
  }
  const text = document.createElement("span");
  text.className = "chat-text";
  text.textContent = message.text; // never innerHTML: chat is plain text
  li.append(text);
  if (moderator && onAction) {
    const tools = document.createElement("span");
    tools.className = "mod-tools";
    for (const [action, label] of [["hide", texts.hide], ["mute", texts.mute], ["ban", texts.ban]]) {
      if (action !== "hide" && !message.user_id) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.dataset.action = action;
      button.textContent = label;
      button.addEventListener("click", () => onAction(action, message));
      tools.append(button);
    }
    li.append(tools);
  }
  return li;
}

export function markRundown(list, itemId) {
  if (!list) return;
  for (const li of list.querySelectorAll("[data-item]")) {
    li.classList.toggle("now", String(itemId) === li.dataset.item);
  }
}
