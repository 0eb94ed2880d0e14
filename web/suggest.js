// facesearch page: the Suggestions review panel. "Is this Ada?" and "Are these two one person?", one click each;
// answers are user decisions (docs/API.md, /api/people/suggestions). Uses app.js's api(), $() and showPicture().
'use strict';

const suggestPanel = (() => {
  const panel = document.createElement('details');
  panel.id = 'suggest-panel';
  panel.className = 'people-panel suggest-panel';
  panel.innerHTML = '<summary>Suggestions</summary><p id="suggest-message" class="muted" role="status"></p>' +
                    '<ol id="suggest-list" class="suggest-list"></ol>';
  $('people-panel').after(panel);
  return panel;
})();

function suggestThumb(faceId) {
  const img = document.createElement('img');
  img.alt = `face ${faceId}`;
  img.width = img.height = 64;
  if (faceId) showPicture(img, `/api/faces/${faceId}/thumbnail?size=128`);
  return img;
}

function suggestButton(text, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

// One row: pictures, the question, Yes / No. `body` is what /confirm or /reject receives.
function suggestionRow(kind, pictures, question, body, data) {
  const li = document.createElement('li');
  li.className = 'suggestion';
  li.dataset.kind = kind;
  Object.assign(li.dataset, data);
  const text = document.createElement('span');
  text.className = 'question';
  text.textContent = question;
  const answer = (verdict) => async () => {
    li.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await api(`/api/people/suggestions/${verdict}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      await loadSuggestions();
    } catch (e) {
      $('suggest-message').textContent = e.message;
      li.querySelectorAll('button').forEach((b) => { b.disabled = false; });
    }
  };
  li.append(...pictures, text, suggestButton('Yes', 'confirm', answer('confirm')),
            suggestButton('No', 'reject', answer('reject')));
  return li;
}

async function loadSuggestions() {
  const message = $('suggest-message');
  try {
    const { faces, merges } = await (await api('/api/people/suggestions?top=10')).json();
    const label = (p) => p.name || `Person ${p.id}`;
    const rows = [
      ...faces.map((f) => suggestionRow('face', [suggestThumb(f.face_id)], `Is this ${f.name}? (${f.similarity.toFixed(2)})`,
                                        { face_id: f.face_id, person: f.person },
                                        { faceId: String(f.face_id), personId: String(f.person) })),
      ...merges.map((m) => suggestionRow('merge', [suggestThumb(m.a.cover_face_id), suggestThumb(m.b.cover_face_id)],
                                         `Are ${label(m.a)} and ${label(m.b)} one person? (${m.similarity.toFixed(2)})`,
                                         { a: m.a.id, b: m.b.id }, { a: String(m.a.id), b: String(m.b.id) })),
    ];
    message.textContent = rows.length ? `${faces.length} faces and ${merges.length} merges to review, likeliest first.`
                                      : 'Nothing to review: name a person to get suggestions for it.';
    $('suggest-list').replaceChildren(...rows);
  } catch (e) {
    message.textContent = e.message;
  }
}

suggestPanel.addEventListener('toggle', () => { if (suggestPanel.open) loadSuggestions(); });
