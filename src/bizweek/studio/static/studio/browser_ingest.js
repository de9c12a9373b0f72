// "Go live from this browser": camera or screen -> MediaRecorder (WebM) -> binary WebSocket
// frames -> the server's ffmpeg -> the show's RTMP listener. Protocol: docs/studio-protocol.md.
const box = document.querySelector("[data-browser-ingest]");
const t = box.dataset;
const startButton = box.querySelector("[data-ingest-start]");
const stopButton = box.querySelector("[data-ingest-stop]");
const preview = box.querySelector("[data-ingest-preview]");
const statusLine = box.querySelector("[data-ingest-status]");
const errorLine = box.querySelector("[data-ingest-error]");
const TIMESLICE_MS = 250;
const SLOW_BYTES = 2 * 1024 * 1024; // waiting to be sent: the upload does not keep up
const GIVE_UP_BYTES = 16 * 1024 * 1024;

let stream = null;
let recorder = null;
let socket = null;
let stopping = false;

function state(name, text) {
  box.dataset.ingestState = name;
  statusLine.textContent = text || "";
  startButton.disabled = name === "starting" || name === "sending";
  stopButton.disabled = !startButton.disabled;
  for (const input of box.querySelectorAll("input")) input.disabled = startButton.disabled;
}

function fail(message) {
  errorLine.textContent = message;
  release();
  state("failed", "");
}

function deviceError(error) {
  switch (error && error.name) {
    case "NotAllowedError": case "SecurityError": return t.textDenied;
    case "NotFoundError": case "OverconstrainedError": return t.textMissing;
    case "NotReadableError": case "AbortError": return t.textBusyDevice;
    default: return t.textUnsupported;
  }
}

async function capture(source, microphone) {
  if (source === "screen") {
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 25 }, audio: false });
    if (microphone) {
      try {
        const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
        for (const track of mic.getAudioTracks()) screen.addTrack(track);
      } catch (error) {
        for (const track of screen.getTracks()) track.stop();
        throw error;
      }
    }
    return screen;
  }
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } },
    audio: microphone,
  });
}

function mimeType(withAudio) {
  const candidates = withAudio
    ? ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm;codecs=h264,opus", "video/webm"]
    : ["video/webm;codecs=vp8", "video/webm;codecs=vp9", "video/webm;codecs=h264", "video/webm"];
  return candidates.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

function release() {
  if (recorder && recorder.state !== "inactive") {
    try { recorder.stop(); } catch { /* already stopped */ }
  }
  recorder = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  preview.srcObject = null;
  if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  socket = null;
}

function record() {
  const withAudio = stream.getAudioTracks().length > 0;
  const type = mimeType(withAudio);
  recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_500_000, audioBitsPerSecond: 128_000 });
  const channel = socket;
  recorder.addEventListener("dataavailable", (event) => {
    if (!event.data.size || channel.readyState !== WebSocket.OPEN) return;
    if (channel.bufferedAmount > GIVE_UP_BYTES) { fail(t.textSlow); return; }
    if (box.dataset.ingestState === "sending") {
      statusLine.textContent = channel.bufferedAmount > SLOW_BYTES ? `${t.textSending} · ${t.textSlow}` : t.textSending;
    }
    channel.send(event.data);
  });
  recorder.addEventListener("stop", () => {
    // The last chunk has been queued: the server's ffmpeg gets the end of the file, then EOF.
    if (channel.readyState === WebSocket.OPEN) channel.close(1000);
  });
  recorder.start(TIMESLICE_MS);
  state("sending", t.textSending);
}

async function start() {
  errorLine.textContent = "";
  stopping = false;
  if (!navigator.mediaDevices || !window.MediaRecorder || !window.WebSocket) {
    fail(t.textUnsupported);
    return;
  }
  state("starting", t.textStarting);
  const source = box.querySelector("[data-ingest-source]:checked").value;
  const microphone = box.querySelector("[data-ingest-mic]").checked;
  try {
    stream = await capture(source, microphone);
  } catch (error) {
    fail(deviceError(error));
    return;
  }
  preview.srcObject = stream;
  // The browser's own "stop sharing" button ends the ingest too.
  for (const track of stream.getVideoTracks()) track.addEventListener("ended", stop);
  send();
}

// One connection sending the captured stream; after a "restart" (the server restarted the
// show's listener) a new one with the same stream, so the camera or screen is not asked again.
function send() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const channel = new WebSocket(`${scheme}://${location.host}${t.wsPath}`);
  channel.binaryType = "arraybuffer";
  socket = channel;
  let refused = false;
  channel.addEventListener("message", (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch { return; }
    if (data.type === "ready" && stream && !recorder) record();
    else if (data.type === "error" && data.code === "restart") {
      refused = true;
      state("starting", data.message);
      if (recorder && recorder.state !== "inactive") {
        try { recorder.stop(); } catch { /* already stopped */ }
      }
      recorder = null;
      setTimeout(() => { if (stream && !stopping) send(); }, 1000);
    } else if (data.type === "error") {
      refused = true;
      fail(data.message);
    }
  });
  channel.addEventListener("close", () => {
    if (socket !== channel) return;
    if (stopping || refused) return;
    fail(t.textLost);
  });
}

function stop() {
  if (!socket && !stream) return;
  stopping = true;
  const channel = socket;
  if (recorder && recorder.state !== "inactive") {
    recorder.stop(); // its "stop" event closes the socket after the last chunk
    recorder = null;
    socket = null;
  }
  release();
  if (channel && channel.readyState === WebSocket.OPEN && !recorder) {
    // release() left it to the recorder; make sure it closes even if "stop" never fires.
    setTimeout(() => channel.readyState === WebSocket.OPEN && channel.close(1000), 2000);
  }
  state("stopped", t.textStopped);
}

startButton.addEventListener("click", start);
stopButton.addEventListener("click", stop);
window.addEventListener("pagehide", () => { stopping = true; release(); });
