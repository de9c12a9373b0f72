// Connection test: camera, microphone, and two connections in this page that reach each other
// through the TURN relay (relay-only) when one is configured; the result is posted and kept.
const ice = JSON.parse(document.getElementById("check-ice").textContent);
const T = JSON.parse(document.getElementById("check-strings").textContent);
const box = document.getElementById("check");

function mark(id, ok) {
  const item = document.getElementById(id);
  item.dataset.state = ok ? "ok" : "failed";
  item.querySelector(".result").textContent = ok ? T.ok : T.failed;
}

async function media() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    document.getElementById("check-video").srcObject = stream;
    return { camera: stream.getVideoTracks().length > 0, microphone: stream.getAudioTracks().length > 0 };
  } catch {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      return { camera: false, microphone: stream.getAudioTracks().length > 0 };
    } catch {
      return { camera: false, microphone: false };
    }
  }
}

async function relay() {
  const config = { iceServers: ice.servers, iceTransportPolicy: ice.turn ? "relay" : "all" };
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  a.onicecandidate = ({ candidate }) => candidate && b.addIceCandidate(candidate);
  b.onicecandidate = ({ candidate }) => candidate && a.addIceCandidate(candidate);
  const opened = new Promise((resolve) => {
    b.ondatachannel = ({ channel }) => { channel.onmessage = () => resolve(true); };
    setTimeout(() => resolve(false), 15000);
  });
  const channel = a.createDataChannel("check");
  channel.onopen = () => channel.send("ping");
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const ok = await opened;
  a.close();
  b.close();
  return ok;
}

document.getElementById("check-start").addEventListener("click", async (event) => {
  event.target.disabled = true;
  const result = await media();
  mark("check-camera", result.camera);
  mark("check-microphone", result.microphone);
  result.relay = await relay();
  mark("check-relay", result.relay);
  const response = await fetch(box.dataset.url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": box.querySelector("[name=csrfmiddlewaretoken]").value },
    body: JSON.stringify(result),
  });
  const { passed } = await response.json();
  const summary = document.getElementById("check-summary");
  summary.textContent = passed ? T.passed : T.not_passed;
  summary.className = `message ${passed ? "success" : "error"}`;
  summary.hidden = false;
  event.target.disabled = false;
});
