// facesearch page: the viewer of one result, a photo with its faces outlined or a video playing from the
// appearance's best frame; and how video times are written. Loaded before app.js, whose helpers it uses.
'use strict';

// mm:ss.s of a time in seconds, and an appearance as mm:ss.s-mm:ss.s (as the command line prints them).
function clockTime(seconds) {
  const tenths = Math.round(seconds * 10);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(tenths / 600))}:${pad(Math.floor(tenths / 10) % 60)}.${tenths % 10}`;
}

const isVideo = (m) => typeof m.t_best === 'number';
const appearance = (m) => `${clockTime(m.t_start)}-${clockTime(m.t_end)}`;

// ---- whole photo or video -----------------------------------------------------------------------------------

function openViewer(m) {
  const dialog = $('viewer');
  const img = $('viewer-photo');
  const video = $('viewer-video');
  stopVideo();
  img.removeAttribute('src');
  img.alt = fileName(m.path);
  img.hidden = isVideo(m);
  video.hidden = !isVideo(m);
  $('viewer-boxes').hidden = false;
  const when = isVideo(m) ? ` — ${appearance(m)}, best at ${clockTime(m.t_best)}` : '';
  $('viewer-caption').textContent = `${m.path}${when} — similarity ${m.similarity.toFixed(3)}`;
  setBoxes($('viewer-boxes'), m.width, m.height, [{ box: m.box, chosen: true }]);
  dialog.showModal();
  if (isVideo(m)) playVideo(m);
  else showPhoto(m);
}

async function showPhoto(m) {
  showPicture($('viewer-photo'), `/api/images/${m.image_id}?max_side=1600`);
  try {
    // The other faces of the photo, dashed, so the matched one stands out among them.
    const info = await (await api(`/api/images/${m.image_id}/faces`)).json();
    setBoxes($('viewer-boxes'), info.width, info.height,
             info.faces.map((f) => ({ box: f.box, chosen: f.face_id === m.face_id })));
  } catch (_) { /* the matched box is already drawn */ }
}

// A video result plays from its best frame; the face box is drawn over that frame until playback starts.
async function playVideo(m) {
  const video = $('viewer-video');
  const url = `/api/videos/${m.image_id}`;
  video.dataset.tBest = String(m.t_best);
  video.addEventListener('loadedmetadata', () => {
    if (Math.abs(video.currentTime - m.t_best) > 0.05) video.currentTime = m.t_best;
  }, { once: true });
  video.addEventListener('playing', () => { $('viewer-boxes').hidden = true; }, { once: true });
  if (!state.token) {
    // The browser asks the server for byte ranges as it plays and seeks; the poster is the best frame.
    video.poster = `/api/images/${m.image_id}?max_side=1600&t_ms=${Math.round(m.t_best * 1000)}`;
    video.src = `${url}#t=${m.t_best}`;
    return;
  }
  // A <video> cannot send the token: fetched whole with it, then played from memory.
  try {
    const blob = await (await api(url)).blob();
    if (!$('viewer').open || video.dataset.tBest !== String(m.t_best)) return;
    video.dataset.blob = URL.createObjectURL(blob);
    video.src = `${video.dataset.blob}#t=${m.t_best}`;
  } catch (e) {
    $('viewer-caption').textContent += ` (video unavailable: ${e.message})`;
  }
}

function stopVideo() {
  const video = $('viewer-video');
  video.pause();
  video.removeAttribute('src');
  video.removeAttribute('poster');
  if (video.dataset.blob) URL.revokeObjectURL(video.dataset.blob);
  delete video.dataset.blob;
  video.load();
}

