// facesearch page: fixing people — cluster from the page, merge persons, move or reject a face, hide a person.
// Loaded after app.js and uses its helpers (api, say, state, showPerson, loadPeople, personLabel); app.js calls the
// hooks of window.peopleActions where it draws the people grid and a person's faces.
'use strict';

(() => {
  const byId = (id) => document.getElementById(id);
  const jsonPost = (path, body = {}) => api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

  // ---- choosing a person (merge target, where a face goes) -----------------------------------------------------

  // Resolves to the chosen <option> value, or null when cancelled. `options` are [value, label] pairs.
  function choosePerson(title, options, okLabel) {
    return new Promise((resolve) => {
      const dialog = byId('person-choice');
      byId('person-choice-title').textContent = title;
      byId('person-choice-ok').textContent = okLabel;
      const select = byId('person-choice-select');
      select.replaceChildren(...options.map(([value, label]) => {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = label;
        return option;
      }));
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? select.value : null), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
      select.focus();
    });
  }

  async function otherPersons(exceptId) {
    const { persons } = await (await api('/api/people?hidden=1')).json();
    return persons.filter((p) => p.id !== exceptId)
      .map((p) => [String(p.id), `${personLabel(p)} · ${p.faces} faces${p.hidden ? ' (hidden)' : ''}`]);
  }

  // Runs an edit, then shows `then` (a person id) again and refreshes the people grid; errors go to the message line.
  async function edit(run, then, done) {
    try {
      await run();
      if (then) await showPerson(then);
      await loadPeople();
      say(done);
    } catch (e) {
      say(e.message, true);
    }
  }

  // ---- the person bar: merge, hide ------------------------------------------------------------------------------

  async function mergePerson() {
    const p = state.person;
    if (!p) return;
    const options = await otherPersons(p.id);
    if (!options.length) { say('There is no other person to merge with.', true); return; }
    const into = await choosePerson(`${personLabel(p)} is the same person as:`, options, 'Merge');
    if (into === null) return;
    await edit(() => jsonPost(`/api/people/${p.id}/merge`, { into: Number(into) }), Number(into),
               `${personLabel(p)} merged into person ${into}.`);
  }

  async function toggleHidden() {
    const p = state.person;
    if (!p) return;
    const hide = !p.hidden;
    await edit(() => jsonPost(`/api/people/${p.id}/${hide ? 'hide' : 'unhide'}`), p.id,
               hide ? `${personLabel(p)} is hidden from the people list (its faces stay searchable).`
                    : `${personLabel(p)} is shown in the people list again.`);
  }

  // ---- a face of the shown person: move, reject -----------------------------------------------------------------

  async function moveFace(match) {
    const p = state.person;
    const options = [['new', 'A new person'], ...await otherPersons(p.id)];
    const to = await choosePerson(`Move this face of ${personLabel(p)} to:`, options, 'Move');
    if (to === null) return;
    await edit(() => jsonPost(`/api/faces/${match.face_id}/move`, { person: to === 'new' ? 'new' : Number(to) }), p.id,
               `The face is now in ${to === 'new' ? 'a new person' : 'person ' + to}.`);
  }

  async function rejectFace(match) {
    const p = state.person;
    await edit(() => jsonPost(`/api/faces/${match.face_id}/reject`, { person: p.id }), p.id,
               `The face left ${personLabel(p)} and will not come back to it.`);
  }

  function actionButton(className, text, label, onClick) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = className;
    button.textContent = text;
    button.setAttribute('aria-label', label);
    button.addEventListener('click', onClick);
    return button;
  }

  // ---- clustering -----------------------------------------------------------------------------------------------

  function showClusterJob(job) {
    const progress = byId('cluster-progress');
    const running = job.state === 'running';
    byId('cluster-start').disabled = running;
    document.body.dataset.cluster = job.state;  // for scripts driving the page (tests/e2e)
    if (running) {
      progress.textContent = `Grouping faces${job.reset ? ' from scratch' : ''}… ${Math.floor(job.seconds || 0)} s`;
    } else if (job.state === 'done') {
      const r = job.report;
      progress.textContent = `Done in ${job.seconds.toFixed(1)} s: ${r.faces} faces, ${r.persons} persons ` +
                             `(${r.new_persons} new, ${r.joined} faces joined a person), ${r.unassigned} faces in no person.`;
    } else if (job.state === 'failed') {
      progress.textContent = 'Grouping failed: ' + job.error;
    }
    return running;
  }

  async function pollCluster() {
    try {
      const job = await (await api('/api/people/cluster')).json();
      if (showClusterJob(job)) { setTimeout(pollCluster, 500); return; }
      if (job.state === 'done') await loadPeople();
    } catch (e) {
      byId('cluster-progress').textContent = e.message;
    }
  }

  async function startCluster() {
    try {
      showClusterJob((await (await jsonPost('/api/people/cluster', { reset: byId('cluster-reset').checked })).json()));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) { byId('cluster-progress').textContent = e.message; return; }
    }
    pollCluster();
  }

  // ---- hooks for app.js -----------------------------------------------------------------------------------------

  window.peopleActions = {
    // The query of GET /api/people: hidden persons too when asked for.
    listQuery: () => (byId('people-show-hidden').checked ? '?hidden=1' : ''),
    // A card of the people grid.
    decoratePerson(li, person) {
      if (!person.hidden) return;
      li.dataset.hidden = 'true';
      li.classList.add('hidden-person');
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = 'hidden';
      li.querySelector('.meta').append(tag);
    },
    // The person bar of the shown person.
    showPerson(person) {
      const hide = byId('person-hide');
      hide.textContent = person.hidden ? 'Unhide' : 'Hide';
      hide.setAttribute('aria-label', `${person.hidden ? 'Unhide' : 'Hide'} ${personLabel(person)}`);
      byId('person-merge').setAttribute('aria-label', `Merge ${personLabel(person)} into another person`);
      if (person.hidden) byId('person-title').textContent += ' · hidden';
    },
    // A face card of the shown person: move it elsewhere or say it is not this person.
    decorateFace(li, match) {
      const p = state.person;
      if (!p) return;
      const actions = document.createElement('div');
      actions.className = 'card-actions';
      actions.append(
        actionButton('face-move', 'Move…', `Move face ${match.face_id} to another person`, () => moveFace(match)),
        actionButton('face-reject', 'Not them', `Face ${match.face_id} is not ${personLabel(p)}`, () => rejectFace(match)));
      li.append(actions);
    },
  };

  byId('person-merge').addEventListener('click', mergePerson);
  byId('person-hide').addEventListener('click', toggleHidden);
  byId('cluster-start').addEventListener('click', startCluster);
  byId('people-show-hidden').addEventListener('change', () => loadPeople());
  // A run started earlier (another tab, before a reload) is shown until it ends, once the People panel opens.
  byId('people-panel').addEventListener('toggle', () => {
    if (!byId('people-panel').open) return;
    api('/api/people/cluster').then((r) => r.json()).then((job) => { if (showClusterJob(job)) pollCluster(); })
      .catch((e) => { byId('cluster-progress').textContent = e.message; });
  });
})();
