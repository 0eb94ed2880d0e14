// facesearch page: upload a photo, pick a face, browse the matches. Talks only to this server's /api (docs/API.md).
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
// Matches are fetched once down to the slider's minimum; the slider then only filters what is already here.
const FETCH_THRESHOLD = 0.2;
const FETCH_TOP = 500;

const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem('facesearch-token') || '',
  tokenRequired: false,
  file: null,          // the uploaded photo, sent again when another face is picked
  photoUrl: null,      // object URL of that photo for the preview
  query: null,         // the server's description of the query photo
  chosen: -1,
  matches: [],
  searchSeq: 0,        // a newer search makes older answers stale
  person: null,        // the person shown in the results (people panel), or null for a photo search
};

// ---- API ----------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (state.token) headers.set('Authorization', 'Bearer ' + state.token);
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    await askToken();
    return api(path, options);
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  return response;
}

function askToken() {
  return new Promise((resolve) => {
    const dialog = $('token-dialog');
    $('token-form').addEventListener('submit', () => {
      state.token = $('token-input').value.trim();
      sessionStorage.setItem('facesearch-token', state.token);
      resolve();
    }, { once: true });
    if (!dialog.open) dialog.showModal();
  });
}

// Pictures need the token too when one is set: then they are fetched and shown from blob URLs.
const thumbnailObserver = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    thumbnailObserver.unobserve(entry.target);
    showPicture(entry.target, entry.target.dataset.src);
  }
}, { rootMargin: '300px' });

async function showPicture(img, url) {
  if (!state.token) { img.src = url; return; }
  try {
    const blob = await (await api(url)).blob();
    if (img.dataset.blob) URL.revokeObjectURL(img.dataset.blob);
    img.dataset.blob = URL.createObjectURL(blob);
    img.src = img.dataset.blob;
  } catch (e) {
    img.alt = 'unavailable: ' + e.message;
  }
}

// ---- status and messages ------------------------------------------------------------------------------------

function say(text, isError = false) {
  $('message').textContent = text;
  $('message').classList.toggle('error', isError);
}

async function refreshStatus() {
  try {
    const s = await (await api('/api/status')).json();
    state.tokenRequired = s.server.token_required;
    $('library-status').textContent =
      `${s.images.toLocaleString()} photos · ${s.faces.toLocaleString()} faces · ${s.library}`;
    const t = Number(s.server.default_threshold).toFixed(2);
    state.defaultThreshold = t;
    if (!state.matches.length) { $('threshold').value = t; $('threshold-value').textContent = t; }
    return s;
  } catch (e) {
    $('library-status').textContent = 'cannot reach the server: ' + e.message;
    return null;
  }
}

// ---- query photo --------------------------------------------------------------------------------------------

function choosePhoto(file) {
  if (!file) return;
  state.file = file;
  if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
  state.photoUrl = URL.createObjectURL(file);
  $('query-photo').src = state.photoUrl;
  $('query-faces').replaceChildren();
  $('query-boxes').replaceChildren();
  $('query-view').hidden = false;
  search('best');
}

async function search(face) {
  const seq = ++state.searchSeq;
  leavePerson();
  document.body.dataset.search = 'busy';  // for scripts driving the page (tests/e2e)
  say('Looking for faces…');
  const form = new FormData();
  form.append('image', state.file);
  form.append('face', String(face));
  form.append('threshold', String(FETCH_THRESHOLD));
  form.append('top', String(FETCH_TOP));
  try {
    const result = await (await api('/api/search', { method: 'POST', body: form })).json();
    if (seq !== state.searchSeq) return;
    state.query = result.query;
    state.chosen = result.query.face === null ? -1 : result.query.face;
    state.matches = result.matches;
    drawQuery();
    if (state.chosen < 0) {
      say('No face found in this photo.', true);
      showMatches();
      document.body.dataset.search = 'done';
      return;
    }
    const n = result.query.faces.length;
    say(n > 1 ? `${n} faces found: showing matches for the highlighted one.` : '');
    showMatches();
    document.body.dataset.search = 'done';
  } catch (e) {
    if (seq !== state.searchSeq) return;
    say(e.message, true);
    document.body.dataset.search = 'failed';
  }
}

function setBoxes(svg, width, height, boxes) {
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.replaceChildren(...boxes.map(({ box, chosen }) => {
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', box[0]);
    rect.setAttribute('y', box[1]);
    rect.setAttribute('width', Math.max(1, box[2] - box[0]));
    rect.setAttribute('height', Math.max(1, box[3] - box[1]));
    if (chosen) rect.classList.add('chosen');
    return rect;
  }));
}

function drawQuery() {
  const q = state.query;
  setBoxes($('query-boxes'), q.width, q.height, q.faces.map((f, i) => ({ box: f.box, chosen: i === state.chosen })));
  const picker = $('query-faces');
  const photo = $('query-photo');
  picker.replaceChildren(...q.faces.map((f, i) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'radio');
    button.setAttribute('aria-checked', String(i === state.chosen));
    button.setAttribute('aria-label', `Face ${i + 1} (detection score ${f.score.toFixed(2)})`);
    button.dataset.face = String(i);
    button.addEventListener('click', () => { if (i !== state.chosen) search(i); else showMatches(); });
    button.append(faceCrop(photo, f.box, q.width, q.height, i));
    return button;
  }));
}

// The face cut out of the local preview (the browser shows photos EXIF-upright, like the server's boxes).
function faceCrop(photo, box, width, height, i) {
  if (!photo.complete || !photo.naturalWidth) {
    const label = document.createElement('span');
    label.className = 'no-preview';
    label.textContent = `#${i + 1}`;
    if (!photo.complete) photo.addEventListener('load', () => drawQuery(), { once: true });
    return label;
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 168;
  const sx = photo.naturalWidth / width;
  const sy = photo.naturalHeight / height;
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * 1.5;
  const cx = (box[0] + box[2]) / 2;
  const cy = (box[1] + box[3]) / 2;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#303030';
  ctx.fillRect(0, 0, 168, 168);
  ctx.drawImage(photo, (cx - side / 2) * sx, (cy - side / 2) * sy, side * sx, side * sy, 0, 0, 168, 168);
  return canvas;
}

// ---- results ------------------------------------------------------------------------------------------------

function fileName(path) {
  const parts = path.split('/');
  return parts.slice(-2).join('/');
}

// A grid card: the face's thumbnail (loaded when scrolled near; none without a face id) over a line of
// [className, text] spans; the whole card is one button.
function faceCard({ faceId, title, alt, meta, onClick }) {
  const li = document.createElement('li');
  li.className = 'card';
  const button = document.createElement('button');
  button.type = 'button';
  button.title = title;
  const img = document.createElement('img');
  img.alt = alt;
  if (faceId !== null && faceId !== undefined) {
    img.dataset.src = `/api/faces/${faceId}/thumbnail?size=200`;
    thumbnailObserver.observe(img);
  }
  const line = document.createElement('span');
  line.className = 'meta';
  line.append(...meta.map(([className, text]) => {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    return span;
  }));
  button.append(img, line);
  button.addEventListener('click', onClick);
  li.append(button);
  return li;
}

function showMatches() {
  const grid = $('grid');
  grid.replaceChildren(...state.matches.map((m) => {
    const meta = [['similarity', m.similarity.toFixed(2)], ['name', fileName(m.path)]];
    if (isVideo(m)) meta.splice(1, 0, ['when', appearance(m)]);
    const title = isVideo(m) ? `${m.path} at ${appearance(m)}` : m.path;
    const li = faceCard({
      faceId: m.face_id, title, alt: `face in ${fileName(m.path)}`, onClick: () => openViewer(m), meta,
    });
    if (isVideo(m)) {
      li.classList.add('video');
      li.dataset.tBest = String(m.t_best);
    }
    li.dataset.path = m.path;
    li.dataset.similarity = String(m.similarity);
    li.dataset.faceId = String(m.face_id);
    if (state.person) window.peopleActions?.decorateFace(li, m);
    return li;
  }));
  $('results').hidden = state.chosen < 0 && !state.person;
  applyThreshold();
}

function applyThreshold() {
  const t = Number($('threshold').value);
  $('threshold-value').textContent = t.toFixed(2);
  let shown = 0;
  for (const li of $('grid').children) {
    const visible = Number(li.dataset.similarity) >= t;
    li.hidden = !visible;
    if (visible) shown++;
  }
  const files = new Set(state.matches.filter((m) => m.similarity >= t).map((m) => m.image_id)).size;
  $('count').textContent = shown ? `${shown} face${shown === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`
                                 : 'no match at this similarity';
}

// ---- people -------------------------------------------------------------------------------------------------

function personLabel(p) { return p.name || `Person ${p.id}`; }

async function loadPeople() {
  const message = $('people-message');
  try {
    const { persons } = await (await api('/api/people' + (window.peopleActions?.listQuery() || ''))).json();
    message.textContent = persons.length ? `${persons.length} persons, most photos first.`
                                         : 'No persons yet: run `facesearch people cluster` on this library.';
    $('people-grid').replaceChildren(...persons.map((p) => {
      const li = faceCard({
        faceId: p.cover_face_id, title: personLabel(p), alt: personLabel(p), onClick: () => showPerson(p.id),
        meta: [['name', personLabel(p)], ['similarity', String(p.faces)]],
      });
      li.dataset.personId = String(p.id);
      window.peopleActions?.decoratePerson(li, p);
      return li;
    }));
  } catch (e) {
    message.textContent = e.message;
  }
}

// A person's faces in the result grid, most typical first; similarity is to the person's mean face.
async function showPerson(id) {
  const seq = ++state.searchSeq;
  try {
    const person = await (await api(`/api/people/${id}`)).json();
    if (seq !== state.searchSeq) return;
    state.person = person;
    state.matches = person.matches;
    $('query-view').hidden = true;
    say('');
    $('person-bar').hidden = false;
    $('person-title').textContent = `${personLabel(person)} · ${person.faces} faces`;
    window.peopleActions?.showPerson(person);
    $('threshold').min = '0';
    $('threshold').value = '0';
    showMatches();
    $('results').scrollIntoView({ behavior: 'smooth', block: 'start' });
    document.body.dataset.person = String(person.id);  // for scripts driving the page (tests/e2e)
  } catch (e) {
    say(e.message, true);
  }
}

function leavePerson() {
  if (!state.person) return;
  state.person = null;
  $('person-bar').hidden = true;
  $('threshold').min = '0.20';
  $('threshold').value = state.defaultThreshold || '0.34';
  delete document.body.dataset.person;
}

async function namePerson() {
  const p = state.person;
  if (!p) return;
  const name = window.prompt(`Name for ${personLabel(p)}:`, p.name || '');
  if (name === null) return;
  try {
    await api(`/api/people/${p.id}/name`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: name.trim() }),
    });
    await showPerson(p.id);
    loadPeople();
  } catch (e) {
    say(e.message, true);
  }
}

// ---- indexing -----------------------------------------------------------------------------------------------

async function pollIndex() {
  try {
    const job = await (await api('/api/index')).json();
    const p = $('index-progress');
    if (job.state === 'running') {
      p.textContent = `Indexing ${job.roots.join(', ')}: ${job.done} / ${job.total || '?'} files, ${job.faces} faces…`;
      setTimeout(pollIndex, 1000);
    } else if (job.state === 'done') {
      const r = job.report;
      p.textContent = `Done in ${job.seconds.toFixed(1)} s: ${r.files} files, ${r.added} new, ${r.faces_added} faces added, ` +
                      `${r.unusable} unusable.`;
      refreshStatus();
    } else if (job.state === 'failed') {
      p.textContent = 'Indexing failed: ' + job.error;
    }
  } catch (e) {
    $('index-progress').textContent = e.message;
  }
}

async function startIndex(event) {
  event.preventDefault();
  const roots = $('index-roots').value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  try {
    await api('/api/index', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ roots }),
    });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) { $('index-progress').textContent = e.message; return; }
  }
  pollIndex();
}

// ---- wiring -------------------------------------------------------------------------------------------------

function init() {
  const drop = $('drop');
  $('file').addEventListener('change', (e) => choosePhoto(e.target.files[0]));
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file').click(); } });
  for (const type of ['dragenter', 'dragover']) {
    document.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('dragging'); });
  }
  document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) drop.classList.remove('dragging'); });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    const file = [...(e.dataTransfer?.files || [])].find((f) => f.type.startsWith('image/') || !f.type);
    if (file) choosePhoto(file);
  });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith('image/'));
    if (item) choosePhoto(item.getAsFile());
  });
  $('threshold').addEventListener('input', applyThreshold);
  $('index-form').addEventListener('submit', startIndex);
  $('people-panel').addEventListener('toggle', () => { if ($('people-panel').open) loadPeople(); });
  $('person-name').addEventListener('click', namePerson);
  $('viewer').addEventListener('click', (e) => { if (e.target === $('viewer')) $('viewer').close(); });
  $('viewer').addEventListener('close', stopVideo);
  refreshStatus().then((s) => { if (s && s.index.state === 'running') pollIndex(); });
}

init();
