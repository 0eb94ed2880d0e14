// Part of the end-to-end test of `facesearch serve` (serve.e2e.mjs runs it after its People section, on the same
// page and library): fixing people from the page.
import path from 'node:path';

// ---- people actions: cluster, merge, move, reject, hide from the page; each checked after a reload ----------
// (a module of its own, so other sections of serve.e2e.mjs merge without touching it). `check(ok, what)` records a
// result; screenshots go to `out`.
export async function peopleActions(page, baseUrl, { check, out }) {
  const apiJson = async (p) => (await fetch(baseUrl + p)).json();
  const openPeople = async () => {
    if (!(await page.evaluate(() => document.getElementById('people-panel').open))) await page.click('#people-panel summary');
    await page.waitForFunction(() => document.querySelectorAll('#people-grid li.card').length > 0, null, { timeout: 30000 });
  };
  const openPerson = async (id) => {
    await page.click(`#people-grid li.card[data-person-id="${id}"] > button`);
    await page.waitForFunction((pid) => document.body.dataset.person === String(pid) &&
                               document.getElementById('person-title').textContent !== '', id, { timeout: 30000 });
  };
  const faceIdsShown = () => page.$$eval('#grid li.card', (lis) => lis.map((li) => Number(li.dataset.faceId)));
  const messageMatches = (re) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById('message').textContent),
                                                     re.source, { timeout: 30000 });
  const chooseInDialog = async (value) => {
    await page.waitForFunction(() => document.getElementById('person-choice').open, null, { timeout: 15000 });
    await page.selectOption('#person-choice-select', String(value));
    await page.click('#person-choice-ok');
  };

  // 1. Clustering from the page, from scratch (the name given above stays), with its progress and result.
  await openPeople();
  await page.check('#cluster-reset');
  await page.click('#cluster-start');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.cluster), null, { timeout: 120000 });
  const progress = await page.textContent('#cluster-progress');
  const job = await apiJson('/api/people/cluster');
  check(job.state === 'done' && job.reset === true && job.report.persons >= 10 && /^Done in .* persons/.test(progress),
        `clustering from the page: "${progress}" (API: ${job.state}, ${job.report?.persons} persons)`);
  check(!(await page.isDisabled('#cluster-start')), 'the cluster button is usable again after the run');

  // Persons to work on: unnamed ones with at least two faces; the two to merge share no photo.
  const { persons } = await apiJson('/api/people');
  const details = new Map();
  for (const p of persons.filter((x) => !x.name && x.faces >= 2)) details.set(p.id, await apiJson(`/api/people/${p.id}`));
  const photos = (id) => new Set(details.get(id).matches.map((m) => m.image_id));
  const ids = [...details.keys()];
  let pair = null;
  for (const a of ids) {
    for (const b of ids) if (a !== b && ![...photos(a)].some((i) => photos(b).has(i))) { pair = [a, b]; break; }
    if (pair) break;
  }
  if (!check(pair !== null && ids.length >= 4, `${ids.length} unnamed persons to edit, two of them share no photo`)) return;
  const [mergedAway, mergeTarget] = pair;
  const [rejectFrom, hideMe] = ids.filter((id) => id !== mergedAway && id !== mergeTarget);
  const mergedFaces = details.get(mergedAway).faces + details.get(mergeTarget).faces;

  // 2. Merge: person A is the same as person B, chosen in the dialog.
  await openPeople();
  await openPerson(mergedAway);
  await page.click('#person-merge');
  await chooseInDialog(mergeTarget);
  await page.waitForFunction((id) => document.body.dataset.person === String(id), mergeTarget, { timeout: 30000 });
  await messageMatches(/merged into/);
  check((await faceIdsShown()).length === mergedFaces, `merged: person ${mergeTarget} shows ${mergedFaces} faces`);

  // 3. Move a face of the merged person to a new person.
  const movedFace = (await faceIdsShown()).at(-1);
  await page.click(`#grid li.card[data-face-id="${movedFace}"] .face-move`);
  await chooseInDialog('new');
  await messageMatches(/now in a new person/);
  check(!(await faceIdsShown()).includes(movedFace), `face ${movedFace} moved out of person ${mergeTarget}`);

  // 4. Reject a face: "not them".
  await openPerson(rejectFrom);
  const rejectedFace = (await faceIdsShown()).at(-1);
  await page.click(`#grid li.card[data-face-id="${rejectedFace}"] .face-reject`);
  await messageMatches(/will not come back/);
  check(!(await faceIdsShown()).includes(rejectedFace), `face ${rejectedFace} rejected from person ${rejectFrom}`);

  // 5. Hide a person, with the keyboard.
  await openPerson(hideMe);
  await page.focus('#person-hide');
  await page.keyboard.press('Enter');
  await messageMatches(/is hidden/);
  check((await page.textContent('#person-hide')) === 'Unhide', 'the hide button turns into Unhide');
  await page.screenshot({ path: path.join(out, 'people-actions.png'), fullPage: true });

  // After a reload, every edit is still there: in the page and in the API.
  await page.reload();
  await openPeople();
  const gridIds = await page.$$eval('#people-grid li.card', (lis) => lis.map((li) => Number(li.dataset.personId)));
  const countOf = (id) => page.$eval(`#people-grid li.card[data-person-id="${id}"] .similarity`, (e) => Number(e.textContent));
  check(!gridIds.includes(mergedAway) && gridIds.includes(mergeTarget) && await countOf(mergeTarget) === mergedFaces - 1,
        `after reload: person ${mergedAway} is gone, person ${mergeTarget} has ${mergedFaces - 1} faces (merged, one moved out)`);
  const api = await apiJson('/api/people');
  const movedTo = api.persons.find((p) => p.cover_face_id === movedFace && p.faces === 1);
  check((await apiJson(`/api/people/${mergedAway}`)).id === mergeTarget && movedTo && gridIds.includes(movedTo.id),
        `after reload: the API agrees (old id ${mergedAway} -> ${mergeTarget}; face ${movedFace} alone in person ${movedTo?.id})`);
  await openPerson(rejectFrom);
  const rejectedNow = (await apiJson(`/api/people/${rejectFrom}`)).matches.map((m) => m.face_id);
  check(!(await faceIdsShown()).includes(rejectedFace) && !rejectedNow.includes(rejectedFace),
        `after reload: face ${rejectedFace} is not in person ${rejectFrom} (page and API)`);
  const hiddenInApi = (await apiJson('/api/people?hidden=1')).persons.find((p) => p.id === hideMe);
  check(!gridIds.includes(hideMe) && !api.persons.some((p) => p.id === hideMe) && hiddenInApi?.hidden === true,
        `after reload: person ${hideMe} is hidden (not in the grid nor GET /api/people; hidden in ?hidden=1)`);
  await page.check('#people-show-hidden');
  await page.waitForSelector(`#people-grid li.card[data-person-id="${hideMe}"][data-hidden="true"]`, { timeout: 15000 });
  check(true, `"Show hidden persons" shows person ${hideMe}, marked hidden`);
  await page.screenshot({ path: path.join(out, 'people-hidden.png'), fullPage: true });
}
