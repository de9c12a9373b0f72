// The meeting room: device preview, a WebRTC mesh with perfect negotiation over the room's
// WebSocket (docs/meetings-protocol.md), chat, countdown and connection quality.
const root = document.getElementById("room");
const T = JSON.parse(document.getElementById("room-strings").textContent);
const $ = (id) => document.getElementById(id);
const role = root.dataset.role;
const observer = role === "observer";
const joinKey = `bizweek-room-${root.dataset.meeting}`;

const room = {
  ws: null,
  me: null,
  iceServers: [],
  iceTransportPolicy: "all",
  present: new Map(), // peer id -> info, for everyone in the room
  peers: new Map(), // peer id -> {info, pc, polite, makingOffer, ignoreOffer, tile, video}
  local: null, // MediaStream from the camera and microphone, or null for a listener
  screen: null,
  closesAt: new Date(root.dataset.closesAt),
  extendable: false,
  closed: false,
  warned: false,
  retry: 0,
};
// For browser tests and the benchmark: how many video frames each remote peer decoded.
window.bizweekRoom = {
  room,
  async framesDecoded() {
    const result = {};
    for (const [id, peer] of room.peers) {
      let frames = 0;
      const stats = await peer.pc.getStats();
      stats.forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === "video") frames += report.framesDecoded || 0;
      });
      result[id] = frames;
    }
    return result;
  },
  async routes() {
    const result = {};
    for (const [id, peer] of room.peers) result[id] = route(await peer.pc.getStats());
    return result;
  },
};

// The candidate type ("host", "srflx", "relay") of a connection's local end, once connected.
function route(stats) {
  let type = "";
  stats.forEach((report) => {
    if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
      type = stats.get(report.localCandidateId)?.candidateType || type;
    }
  });
  return type;
}

// --- Lobby: preview and device choice -------------------------------------------------------

function showDeviceError(text) {
  const box = $("device-error");
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
}

async function fillDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind] of [[$("camera-select"), "videoinput"], [$("mic-select"), "audioinput"]]) {
    if (!select) continue;
    const current = room.local?.getTracks().find((t) => t.kind === kind.replace("input", ""));
    const currentId = current?.getSettings().deviceId;
    select.replaceChildren();
    devices.filter((d) => d.kind === kind).forEach((device, index) => {
      const option = new Option(device.label || `${kind} ${index + 1}`, device.deviceId);
      option.selected = device.deviceId === currentId;
      select.append(option);
    });
  }
}

async function startPreview() {
  const camera = $("camera-select")?.value;
  const mic = $("mic-select")?.value;
  const video = camera ? { deviceId: { exact: camera } } : true;
  const audio = mic ? { deviceId: { exact: mic } } : true;
  room.local?.getTracks().forEach((t) => t.stop());
  room.local = null;
  try {
    room.local = await navigator.mediaDevices.getUserMedia({ audio, video });
  } catch (error) {
    try {
      room.local = await navigator.mediaDevices.getUserMedia({ audio: true });
      showDeviceError(T.camera_refused);
    } catch {
      showDeviceError(error.name === "NotFoundError" ? T.no_devices : T.camera_refused);
    }
  }
  $("preview").srcObject = room.local;
  await fillDevices();
}

function speakerTest() {
  const context = new AudioContext();
  const tone = context.createOscillator();
  tone.frequency.value = 440;
  tone.connect(context.destination);
  tone.start();
  tone.stop(context.currentTime + 0.8);
}

// --- Signaling ------------------------------------------------------------------------------

function send(message) {
  if (room.ws?.readyState === WebSocket.OPEN) room.ws.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}${root.dataset.ws}`);
  room.ws = ws;
  // One message at a time: a candidate must not overtake the offer it belongs to.
  let queue = Promise.resolve();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    queue = queue.then(() => receive(message)).catch((error) => console.error(error));
  };
  ws.onclose = () => {
    if (room.ws !== ws) return;
    for (const id of [...room.peers.keys()]) removePeer(id);
    room.present.clear();
    if (room.closed) return;
    if (!room.me) {
      notice(T.refused);
      return;
    }
    notice(T.reconnecting);
    room.me = null;
    room.retry = Math.min(room.retry + 1, 5);
    setTimeout(connect, 500 * room.retry);
  };
}

async function receive(message) {
  switch (message.type) {
    case "welcome":
      room.me = message.you;
      room.retry = 0;
      room.iceServers = message.ice_servers;
      room.iceTransportPolicy = message.ice_transport_policy;
      room.closesAt = new Date(message.closes_at);
      room.extendable = message.can_extend;
      notice("");
      $("self-label").textContent = `${T.you} · ${roleLabel(message.you)}`;
      $("chat-log").replaceChildren();
      message.chat.forEach(addChat);
      message.files.forEach(addFile);
      room.present.clear();
      // The newcomer calls everyone present; they answer (fewer offer collisions).
      for (const peer of message.peers) {
        room.present.set(peer.id, peer);
        addPeer(peer);
      }
      sendMedia();
      updateWaiting();
      break;
    case "peer-joined":
      room.present.set(message.peer.id, message.peer);
      if (room.peers.has(message.peer.id)) addPeer(message.peer); // refresh its label
      updateWaiting();
      break;
    case "peer-left":
      room.present.delete(message.id);
      removePeer(message.id);
      updateWaiting();
      break;
    case "signal":
      await onSignal(message);
      break;
    case "chat":
      addChat(message);
      break;
    case "file":
      addFile(message);
      break;
    case "media":
      room.peers.get(message.id)?.tile.classList.toggle("muted-audio", !message.audio);
      break;
    case "extended":
      room.closesAt = new Date(message.closes_at);
      room.extendable = false;
      room.warned = false;
      notice(T.extended);
      break;
    case "error":
      notice(message.message);
      break;
  }
}

// --- Peers (perfect negotiation: the peer with the higher id is the polite one) -------------

function roleLabel(info) {
  const label = T[info.role] || "";
  const extra = info.role === "interpreter" && info.languages ? ` (${info.languages})` : "";
  return [info.name, info.company, label + extra].filter(Boolean).join(" · ");
}

function addPeer(info) {
  const existing = room.peers.get(info.id);
  if (existing) {
    existing.info = info;
    existing.caption.textContent = roleLabel(info);
    return existing;
  }
  const pc = new RTCPeerConnection({ iceServers: room.iceServers, iceTransportPolicy: room.iceTransportPolicy });
  const tile = document.createElement("figure");
  tile.className = `tile role-${info.role || "unknown"}`;
  tile.dataset.peer = info.id;
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement("figcaption");
  caption.textContent = roleLabel(info);
  tile.append(video, caption);
  $("videos").append(tile);
  const peer = { info, pc, polite: room.me.id > info.id, makingOffer: false, ignoreOffer: false, tile, video, caption };
  room.peers.set(info.id, peer);

  if (room.local) {
    room.local.getTracks().forEach((track) => pc.addTrack(track, room.local));
  } else {
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
  }
  if (room.screen) replaceVideo(pc, room.screen.getVideoTracks()[0]);
  pc.ontrack = ({ track, streams }) => {
    video.srcObject = streams[0] || new MediaStream([track]);
  };
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) send({ type: "signal", to: info.id, candidate: candidate.toJSON() });
  };
  pc.onnegotiationneeded = async () => {
    try {
      peer.makingOffer = true;
      await pc.setLocalDescription();
      const { type, sdp } = pc.localDescription;
      send({ type: "signal", to: info.id, description: { type, sdp } });
    } catch (error) {
      console.error(error);
    } finally {
      peer.makingOffer = false;
    }
  };
  pc.oniceconnectionstatechange = () => {
    if (pc.iceConnectionState === "failed") pc.restartIce(); // a network drop: stay in the room
  };
  return peer;
}

async function onSignal({ from, description, candidate }) {
  const peer = room.peers.get(from) || addPeer(room.present.get(from) || { id: from, name: "", role: "" });
  const { pc } = peer;
  try {
    if (description) {
      const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
      peer.ignoreOffer = !peer.polite && collision;
      if (peer.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        await pc.setLocalDescription();
        const { type, sdp } = pc.localDescription;
        send({ type: "signal", to: from, description: { type, sdp } });
      }
    } else if (candidate) {
      try {
        await pc.addIceCandidate(candidate);
      } catch (error) {
        if (!peer.ignoreOffer) throw error;
      }
    }
  } catch (error) {
    console.error(error);
  }
}

function removePeer(id) {
  const peer = room.peers.get(id);
  if (!peer) return;
  peer.pc.close();
  peer.tile.remove();
  room.peers.delete(id);
}

function updateWaiting() {
  const roles = new Set([...room.present.values()].map((info) => info.role));
  let missing;
  if (role === "seller") missing = !roles.has("buyer");
  else if (role === "buyer") missing = !roles.has("seller");
  else missing = !(roles.has("seller") && roles.has("buyer"));
  $("waiting").hidden = !missing;
}

// --- Controls -------------------------------------------------------------------------------

function sendMedia() {
  const audio = room.local?.getAudioTracks().some((t) => t.enabled) || false;
  const video = room.local?.getVideoTracks().some((t) => t.enabled) || false;
  send({ type: "media", audio, video, screen: Boolean(room.screen) });
}

function toggle(kind, button, onText, offText) {
  const tracks = kind === "audio" ? room.local?.getAudioTracks() : room.local?.getVideoTracks();
  if (!tracks?.length) return;
  const enabled = !tracks[0].enabled;
  tracks.forEach((t) => { t.enabled = enabled; });
  button.textContent = enabled ? onText : offText;
  button.setAttribute("aria-pressed", String(!enabled));
  sendMedia();
}

function replaceVideo(pc, track) {
  const sender = pc.getSenders().find((s) => s.track?.kind === "video" || (!s.track && s === pc.getSenders().at(-1)));
  if (sender && sender.track?.kind === "video") sender.replaceTrack(track);
  else pc.addTrack(track, room.local || new MediaStream([track]));
}

async function toggleShare() {
  const button = $("share");
  if (room.screen) {
    stopShare();
    return;
  }
  try {
    room.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
  } catch {
    return;
  }
  const track = room.screen.getVideoTracks()[0];
  track.onended = stopShare;
  for (const peer of room.peers.values()) replaceVideo(peer.pc, track);
  $("self-video").srcObject = room.screen;
  button.textContent = T.share_stop;
  sendMedia();
}

function stopShare() {
  if (!room.screen) return;
  room.screen.getTracks().forEach((t) => t.stop());
  room.screen = null;
  const camera = room.local?.getVideoTracks()[0] || null;
  for (const peer of room.peers.values()) {
    const sender = peer.pc.getSenders().find((s) => s.track?.kind === "video" || s.track === null);
    sender?.replaceTrack(camera);
  }
  $("self-video").srcObject = room.local;
  $("share").textContent = T.share;
  sendMedia();
}

// --- Chat, notices, countdown, quality ------------------------------------------------------

function addChat(message) {
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = message.author;
  const when = document.createElement("time");
  when.dateTime = message.at;
  when.textContent = new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const text = document.createElement("span");
  text.textContent = message.text; // never HTML
  item.append(who, " ", when, " ", text);
  $("chat-log").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function addFile(file) {
  const item = document.createElement("li");
  item.className = "shared-file";
  const who = document.createElement("strong");
  who.textContent = file.author;
  const link = document.createElement("a");
  link.href = file.url;
  link.textContent = `📎 ${file.name}`; // a name is text, never HTML
  item.append(who, " ", link);
  $("chat-log").append(item);
  item.scrollIntoView({ block: "nearest" });
}

async function shareFile(input) {
  const file = input.files[0];
  if (!file) return;
  const form = $("file-form");
  const body = new FormData();
  body.append("file", file);
  const response = await fetch(form.dataset.url, {
    method: "POST",
    body,
    headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
  });
  if (!response.ok) notice((await response.json()).detail);
  input.value = "";
}

function notice(text) {
  const box = $("room-notice");
  box.textContent = text;
  box.hidden = !text;
}

function tick() {
  const left = Math.round((room.closesAt.getTime() - Date.now()) / 1000);
  const end = room.closesAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const clock = `${Math.floor(Math.max(left, 0) / 60)}:${String(Math.max(left, 0) % 60).padStart(2, "0")}`;
  $("countdown").textContent = `${T.ends_in} ${clock} (${T.ends_at} ${end})`;
  $("extend").hidden = !(room.extendable && !observer && left <= 300 && left > 0);
  if (left <= 120 && left > 0 && !room.warned) {
    room.warned = true;
    notice(T.two_minutes);
  }
  if (left <= 0 && !room.closed) {
    room.closed = true;
    for (const id of [...room.peers.keys()]) removePeer(id);
    room.ws?.close();
    room.local?.getTracks().forEach((t) => t.stop());
    sessionStorage.removeItem(joinKey);
    notice(T.closed);
    document.querySelectorAll(".controls button, #chat-form button").forEach((b) => { b.disabled = true; });
  }
}

async function measureQuality() {
  let worst = 0;
  for (const peer of room.peers.values()) {
    const stats = await peer.pc.getStats();
    let rtt = 0;
    let lost = 0;
    let received = 0;
    stats.forEach((r) => {
      if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime) rtt = r.currentRoundTripTime;
      if (r.type === "inbound-rtp") {
        lost += r.packetsLost || 0;
        received += r.packetsReceived || 0;
      }
    });
    const loss = received ? lost / (lost + received) : 0;
    const level = rtt > 0.6 || loss > 0.08 ? 2 : rtt > 0.3 || loss > 0.02 ? 1 : 0;
    worst = Math.max(worst, level);
  }
  const quality = $("quality");
  quality.textContent = room.peers.size ? [T.quality_good, T.quality_fair, T.quality_poor][worst] : "";
  quality.dataset.level = String(worst);
}

// --- Joining --------------------------------------------------------------------------------

function enter(mode) {
  if (mode === "listener") {
    room.local?.getTracks().forEach((t) => t.stop());
    room.local = null;
  }
  sessionStorage.setItem(joinKey, mode);
  $("lobby").hidden = true;
  $("call").hidden = false;
  $("self-video").srcObject = room.local;
  for (const id of ["mute", "camera"]) $(id).hidden = !room.local;
  $("share").hidden = observer;
  notice(T.connecting);
  connect();
  tick();
  setInterval(tick, 1000);
  setInterval(measureQuality, 3000);
}

$("join").addEventListener("click", () => enter(observer ? "listener" : "media"));
$("join-listener")?.addEventListener("click", () => enter("listener"));
$("speaker-test")?.addEventListener("click", speakerTest);
$("camera-select")?.addEventListener("change", startPreview);
$("mic-select")?.addEventListener("change", startPreview);
$("mute").addEventListener("click", (e) => toggle("audio", e.target, T.mute, T.unmute));
$("camera").addEventListener("click", (e) => toggle("video", e.target, T.camera_stop, T.camera_start));
$("share").addEventListener("click", toggleShare);
$("extend").addEventListener("click", () => send({ type: "extend" }));
$("leave").addEventListener("click", () => sessionStorage.removeItem(joinKey));
$("file-input").addEventListener("change", (event) => shareFile(event.target));
$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("chat-text");
  if (input.value.trim()) send({ type: "chat", text: input.value });
  input.value = "";
});

const rejoin = sessionStorage.getItem(joinKey); // a reload rejoins the call at once
if (observer) {
  if (rejoin) enter("listener");
} else {
  await startPreview();
  $("join").disabled = false;
  $("join-listener").disabled = false;
  if (rejoin) enter(rejoin === "listener" || !room.local ? "listener" : "media");
}
