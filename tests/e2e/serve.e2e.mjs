// End-to-end test of `facesearch serve` in headless Chromium, driven like a person would use the page:
// index a folder from the page, upload a group photo, pick each face, check the result grid shows that person's
// photos, open one photo, play a video result from its best frame, move the threshold slider; fix people (cluster,
// merge, move, reject, hide) and check each after a reload. Screenshots go under the build directory.
//
//   node serve.e2e.mjs --facesearch build/facesearch --data ../shared/data --out build/e2e
//
// Uses Debian's /usr/bin/chromium (playwright never downloads a browser here).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { peopleActions } from './people_actions.e2e.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const facesearch = path.resolve(args.facesearch || 'build/facesearch');
const data = path.resolve(process.env.FACESEARCH_TEST_DATA || args.data || path.join(here, '../../../shared/data'));
const out = path.resolve(args.out || 'build/e2e');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

let failures = 0;
let passes = 0;
function check(ok, what) {
  if (ok) { passes++; console.log(`ok    ${what}`); } else { failures++; console.log(`FAIL  ${what}`); }
  return ok;
}
function fatal(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

// ---- preconditions: fail loudly, never skip ----------------------------------------------------------------
const testset = path.join(data, 'deepface_testset');
if (!existsSync(testset)) fatal(`test data not found at ${data} (needs ../shared/data beside the checkout, or --data)`);
if (!existsSync(facesearch)) fatal(`no facesearch binary at ${facesearch}`);
if (!existsSync(chromiumPath)) fatal(`no Chromium at ${chromiumPath} (scripts/install-deps.sh installs Debian's chromium)`);
let chromium;
try {
  ({ chromium } = createRequire(import.meta.url)('playwright-core'));
} catch (e) {
  fatal(`playwright-core is not installed in ${here}: run tests/e2e/install.sh (make test does) — ${e.message}`);
}

// A folder with a video beside the test set: cuts.mp4 of scripts/make-test-videos.sh (id01 at 0-3 s and 8-11 s),
// taken from the clips test_video made in this build tree, else made here.
function videoFolder() {
  const folder = path.join(out, 'videos');
  mkdirSync(folder, { recursive: true });
  const made = path.join(path.dirname(out), 'test-scratch', 'video');
  let source = path.join(made, 'cuts.mp4');
  if (!existsSync(path.join(made, '.made')) || !existsSync(source)) {
    const clips = path.join(out, 'clips');
    const r = spawnSync(path.join(here, '../../scripts/make-test-videos.sh'), [data, clips], { encoding: 'utf8' });
    if (r.status !== 0) fatal(`making the test videos (needs ffmpeg): ${r.stdout}${r.stderr}`);
    source = path.join(clips, 'cuts.mp4');
  }
  copyFileSync(source, path.join(folder, 'cuts.mp4'));
  return folder;
}

const identityOf = (p) => p.split(path.sep + 'deepface_testset' + path.sep)[1]?.split(path.sep)[0] ?? '?';
const photosOf = (identity) => readdirSync(path.join(testset, identity)).length;

// ---- the server, on a free loopback port, over a fresh library ---------------------------------------------
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const library = path.join(out, 'library');
const servers = [];
async function startServer(...extra) {
  const server = spawn(facesearch, ['--library', library, 'serve', '--port', '0', '--quiet', ...extra],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('the server did not start within 60 s')), 60000);
    server.stdout.on('data', (chunk) => {
      text += chunk;
      const m = text.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  }).catch((e) => fatal(e.message));
}
const videos = videoFolder();
const baseUrl = await startServer();

// Every thumbnail of the visible cards has arrived and decoded. They load lazily, when within 300 px of the view,
// so the page is scrolled through as a user would (a jump to the bottom skips the middle of a long grid).
async function thumbnailsLoaded(page) {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
      window.scrollTo(0, y);
      await new Promise((done) => setTimeout(done, 50));
    }
    window.scrollTo(0, document.body.scrollHeight);
  });
  const loaded = () => [...document.querySelectorAll('#grid li.card:not([hidden]) img')]
    .every((img) => img.complete && img.naturalWidth > 0);
  await page.waitForFunction(loaded, null, { timeout: 60000 }).catch(async (e) => {
    const missing = await page.$$eval('#grid li.card:not([hidden]) img', (imgs) => imgs
      .filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.src || `(not requested) ${img.dataset.src}`));
    throw new Error(`${e.message}; thumbnails not loaded: ${missing.join(', ')}`);
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  return page.$$eval('#grid li.card:not([hidden]) img', (imgs) => imgs.map((img) => img.src));
}

// 6b. Suggestions (issue 14): two faces of the named person are moved out (the CLI, beside the server) so the page
//     suggests them back; one is rejected, one confirmed, each checked after a reload.
async function reviewSuggestions(page, pageErrors) {
  const cli = (...a) => spawnSync(facesearch, ['--library', library, '--quiet', ...a], { encoding: 'utf8' });
  const shown = cli('people', 'show', 'E2E Person', '--json');
  const faces = shown.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const person = faces[0]?.person;
  if (!check(faces.length >= 4, `the named person has ${faces.length} faces to take two from`)) return;
  // The most typical faces after the first: clearly that person, so they are suggested back.
  const [rejected, confirmed] = [faces[1].face_id, faces[2].face_id];
  for (const f of [rejected, confirmed]) check(cli('people', 'move', String(f), 'new').status === 0, `face ${f} moved out`);
  const openPanel = async () => {
    await page.reload();
    await page.click('#suggest-panel summary');
    await page.waitForFunction(() => /to review|Nothing to review/.test(document.getElementById('suggest-message').textContent),
                               null, { timeout: 30000 });
  };
  const row = (face) => `#suggest-list li[data-kind="face"][data-face-id="${face}"][data-person-id="${person}"]`;
  await openPanel();
  check(await page.$(row(rejected)) && await page.$(row(confirmed)), 'the Suggestions panel suggests both faces back');
  await page.screenshot({ path: path.join(out, 'suggestions.png'), fullPage: true });
  await page.click(`${row(rejected)} button.reject`);
  await page.waitForFunction((sel) => !document.querySelector(sel), row(rejected), { timeout: 30000 });
  await openPanel();
  check(!(await page.$(row(rejected))), 'a rejected suggestion is gone after a reload');
  await page.click(`${row(confirmed)} button.confirm`);
  await page.waitForFunction((sel) => !document.querySelector(sel), row(confirmed), { timeout: 30000 });
  await openPanel();
  check(!(await page.$(row(confirmed))), 'a confirmed suggestion is gone after a reload');
  const members = await page.evaluate(async (id) => (await (await fetch(`/api/people/${id}`)).json()).matches
    .map((m) => m.face_id), person);
  check(members.includes(confirmed) && !members.includes(rejected),
        'after a reload the confirmed face is with the person, the rejected one is not');
  check(pageErrors.length === 0, `no errors in the page console after Suggestions${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);
}

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
const started = Date.now();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await page.goto(baseUrl + '/');
  check(await page.title() === 'facesearch', 'the page loads');

  // 1. Index the test set from the page's own form, and wait for the job's report.
  await page.click('.index-panel summary');
  await page.fill('#index-roots', `${testset}, ${videos}`);
  await page.click('#index-form button');
  await page.waitForFunction(() => /^(Done|Indexing failed)/.test(document.getElementById('index-progress').textContent),
                             null, { timeout: 300000 });
  const report = await page.textContent('#index-progress');
  check(report.startsWith('Done'), `indexing from the page: ${report}`);
  await page.waitForFunction(() => Number((document.getElementById('library-status').textContent.match(/([\d,]+) faces/) || [0, '0'])[1].replace(/,/g, '')) > 0);
  const libraryFaces = Number((await page.textContent('#library-status')).match(/([\d,]+) faces/)[1].replace(/,/g, ''));
  check(libraryFaces >= 60, `the header shows the library: ${libraryFaces} faces`);

  // 2. Upload a photo of two people; pick each face in turn.
  const visibleCards = () => page.$$eval('#grid li.card:not([hidden])',
                                         (lis) => lis.map((li) => ({ path: li.dataset.path, similarity: Number(li.dataset.similarity),
                                                                     video: li.classList.contains('video') })));
  const pickFace = async (i) => {
    await page.click(`#query-faces button[data-face="${i}"]`);
    await page.waitForFunction((face) => document.body.dataset.search === 'done' &&
        document.querySelector(`#query-faces button[data-face="${face}"]`)?.getAttribute('aria-checked') === 'true', i);
    return visibleCards();
  };
  await page.setInputFiles('#file', path.join(testset, 'group', 'couple.jpg'));
  await page.waitForFunction(() => document.body.dataset.search === 'done', null, { timeout: 60000 });
  const faceCount = await page.locator('#query-faces button').count();
  check(faceCount === 2, `couple.jpg: ${faceCount} faces offered to pick from`);

  const angelinaPhotos = photosOf('id01_Angelina_Jolie');
  let angelinaFace = -1;
  for (let i = 0; i < faceCount; i++) {
    const all = await pickFace(i);
    const cards = all.filter((c) => !c.video);
    const videoCards = all.filter((c) => c.video);
    const people = cards.map((c) => identityOf(c.path));
    const id01 = people.filter((p) => p === 'id01_Angelina_Jolie').length;
    const sorted = cards.every((c, k) => k === 0 || cards[k - 1].similarity >= c.similarity);
    check(sorted && cards.length > 0, `face ${i}: ${cards.length} matches, sorted by similarity`);
    console.log(`      face ${i}: ${people.join(' ')}`);
    if (id01 > 0) {
      check(angelinaFace < 0, `face ${i}: only one face of couple.jpg finds Angelina Jolie's photos`);
      angelinaFace = i;
      // Her folder's photos, the two group photos she is in, and nobody else.
      check(people.every((p) => p === 'id01_Angelina_Jolie' || p === 'group'), `face ${i}: every match is her or a group photo with her`);
      check(id01 >= angelinaPhotos - 1, `face ${i}: ${id01} of her ${angelinaPhotos} photos in the grid`);
      check(videoCards.length === 2, `face ${i}: her 2 appearances in cuts.mp4 in the grid (${videoCards.length})`);
      const thumbs = await thumbnailsLoaded(page);
      check(thumbs.length === all.length, `face ${i}: all ${thumbs.length} face thumbnails load, video frames included`);
      await page.screenshot({ path: path.join(out, 'search.png'), fullPage: true });
    } else {
      check(!people.includes('id01_Angelina_Jolie') && videoCards.length === 0,
            `face ${i}: the other person's matches hold none of her photos or appearances`);
    }
  }
  check(angelinaFace >= 0, 'one face of couple.jpg is Angelina Jolie (id01)');
  if (angelinaFace >= 0) await pickFace(angelinaFace);

  // 3. Click a result: the whole photo, with the matched face outlined.
  const firstId01 = page.locator('#grid li.card:not([hidden])').filter({ has: page.locator('.name', { hasText: 'id01_' }) }).first();
  await firstId01.locator('button').click();
  await page.waitForFunction(() => {
    const img = document.getElementById('viewer-photo');
    return document.getElementById('viewer').open && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30000 });
  const viewer = await page.evaluate(() => {
    const img = document.getElementById('viewer-photo');
    const rect = document.querySelector('#viewer-boxes rect.chosen');
    return { width: img.naturalWidth, height: img.naturalHeight, chosen: !!rect,
             inside: rect ? Number(rect.getAttribute('x')) >= 0 && Number(rect.getAttribute('width')) > 10 : false,
             viewBox: document.getElementById('viewer-boxes').getAttribute('viewBox') };
  });
  check(viewer.width > 0 && Math.max(viewer.width, viewer.height) <= 1600, `the photo opens (${viewer.width}x${viewer.height})`);
  check(viewer.chosen && viewer.inside, `the matched face is outlined (viewBox ${viewer.viewBox})`);
  await page.waitForTimeout(200);  // let the dialog finish painting
  await page.screenshot({ path: path.join(out, 'viewer.png') });
  await page.keyboard.press('Escape');

  // 3b. A video result: its card shows when, and it plays in the page from its best frame, the face outlined.
  const videoCard = page.locator('#grid li.card.video:not([hidden])');
  const whens = await videoCard.locator('.when').allTextContents();
  check(whens.length === 2 && whens.every((w) => /^\d\d:\d\d\.\d-\d\d:\d\d\.\d$/.test(w)),
        `video cards show their appearance times: ${whens.join(', ')}`);
  // The later appearance (id01 again at 8-11 s), so a player stuck at 0 cannot pass.
  const bests = await videoCard.evaluateAll((lis) => lis.map((li) => Number(li.dataset.tBest)));
  const later = bests.indexOf(Math.max(...bests));
  const tBest = bests[later];
  await videoCard.nth(later).locator('button').click();
  const loadedAt = await page.waitForFunction(() => {
    const v = document.getElementById('viewer-video');
    return document.getElementById('viewer').open && !v.hidden && v.readyState >= 2 && !v.seeking && v.currentTime;
  }, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => null);
  const atBest = await page.evaluate(() => {
    const v = document.getElementById('viewer-video');
    return { time: v.currentTime, paused: v.paused, width: v.videoWidth, boxes: !document.getElementById('viewer-boxes').hidden,
             chosen: !!document.querySelector('#viewer-boxes rect.chosen'), photoHidden: document.getElementById('viewer-photo').hidden };
  });
  check(loadedAt !== null && Math.abs(atBest.time - tBest) <= 0.5 && atBest.time > 0,
        `the video opens at its best frame: currentTime ${atBest.time} for t_best ${tBest}`);
  check(atBest.width === 640 && atBest.photoHidden, `the <video> shows the 640x480 clip (${atBest.width} px wide)`);
  check(atBest.boxes && atBest.chosen, 'the face is outlined over the best frame before playback');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'video.png') });
  const played = await page.evaluate(async () => {
    const v = document.getElementById('viewer-video');
    v.muted = true;
    try { await v.play(); } catch (e) { return { error: e.message }; }
    await new Promise((r) => setTimeout(r, 1200));
    return { time: v.currentTime, paused: v.paused, boxes: !document.getElementById('viewer-boxes').hidden };
  });
  check(!played.error && !played.paused && played.time > tBest + 0.3 && !played.boxes,
        `it plays on from there (currentTime ${played.time}${played.error ? ', ' + played.error : ''}), box hidden while playing`);
  await page.screenshot({ path: path.join(out, 'video-playing.png') });
  await page.keyboard.press('Escape');

  // 4. The slider filters the grid without asking the server again.
  const before = (await visibleCards()).length;
  await page.fill('#threshold', '0.75');
  const after = await visibleCards();
  check(after.length > 0 && after.length < before && after.every((c) => c.similarity >= 0.75),
        `threshold 0.75 keeps ${after.length} of ${before} matches, all >= 0.75`);

  // 5. A one-person photo: the grid is that person's folder.
  const query = path.join(testset, 'id10', readdirSync(path.join(testset, 'id10')).sort()[0]);
  await page.fill('#threshold', '0.34');
  await page.setInputFiles('#file', query);
  await page.waitForFunction(() => document.body.dataset.search === 'done' && document.querySelectorAll('#query-faces button').length > 0,
                             null, { timeout: 60000 });
  const cards = await visibleCards();
  const people = cards.map((c) => identityOf(c.path));
  check(people.length > 0 && people.every((p) => p === 'id10'), `${path.basename(query)} (id10): all ${people.length} matches are id10`);
  check(people.length >= photosOf('id10') - 2, `id10: ${people.length} of its ${photosOf('id10')} photos found`);
  await thumbnailsLoaded(page);
  await page.screenshot({ path: path.join(out, 'search-id10.png'), fullPage: true });
  check(pageErrors.length === 0, `no errors in the page console${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);

  // 6. People: cluster the library (the CLI, beside the running server), open the People panel, show the largest
  //    person, name it from the page.
  const clustered = spawnSync(facesearch, ['--library', library, '--quiet', 'people', 'cluster'], { encoding: 'utf8' });
  check(clustered.status === 0, `people cluster exits 0${clustered.status ? ': ' + clustered.stderr : ''}`);
  await page.click('#people-panel summary');
  await page.waitForFunction(() => document.querySelectorAll('#people-grid li.card').length > 0, null, { timeout: 30000 });
  const personCards = await page.$$eval('#people-grid li.card', (lis) => lis.map((li) => ({
    id: li.dataset.personId, count: Number(li.querySelector('.similarity').textContent) })));
  check(personCards.length >= 10, `the People panel lists ${personCards.length} persons`);
  await page.click('#people-grid li.card button');
  await page.waitForFunction((id) => document.body.dataset.person === id, personCards[0].id, { timeout: 30000 });
  const personFaces = await visibleCards();
  const identities = new Set(personFaces.map((c) => identityOf(c.path)).filter((i) => i.startsWith('id')));
  check(personFaces.length === personCards[0].count && identities.size === 1,
        `the largest person shows its ${personFaces.length} faces, all of one identity (${[...identities].join(', ')})`);
  // Video appearances are faces of persons too (cuts.mp4 holds three: id01, id02, id01), listed like photo faces
  // in persons whose photos are of one identity.
  let appearances = 0;
  const wrong = [];
  for (const p of personCards) {
    await page.click(`#people-grid li.card[data-person-id="${p.id}"] button`);
    await page.waitForFunction((id) => document.body.dataset.person === id, p.id, { timeout: 30000 });
    const faces = await visibleCards();
    const inVideo = faces.filter((c) => c.video).length;
    if (!inVideo) continue;
    if (!appearances) {
      await thumbnailsLoaded(page);
      await page.screenshot({ path: path.join(out, 'people-video.png'), fullPage: true });
    }
    appearances += inVideo;
    const others = faces.filter((c) => !c.video).map((c) => identityOf(c.path)).filter((i) => i.startsWith('id'));
    if (new Set(others).size > 1) wrong.push(p.id);
  }
  check(appearances >= 1 && appearances <= 3 && wrong.length === 0,
        `the People panel lists ${appearances} video appearance(s), each in a person of one identity`);
  await page.click('#people-grid li.card button');
  await page.waitForFunction((id) => document.body.dataset.person === id, personCards[0].id, { timeout: 30000 });
  page.once('dialog', (d) => d.accept('E2E Person'));
  await page.click('#person-name');
  await page.waitForFunction(() => document.getElementById('person-title').textContent.startsWith('E2E Person'),
                             null, { timeout: 15000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#people-grid .name')].some((n) => n.textContent === 'E2E Person'),
                             null, { timeout: 15000 });
  check(true, 'naming the person from the page shows the name in the title and the People grid');
  await thumbnailsLoaded(page);
  await page.screenshot({ path: path.join(out, 'people.png'), fullPage: true });
  check(pageErrors.length === 0, `no errors in the page console after People${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);

  // 6b. Fixing people from the page (peopleActions above).
  await peopleActions(page, baseUrl, { check, out });
  check(pageErrors.length === 0, `no errors in the page console after the people actions${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);
  await reviewSuggestions(page, pageErrors);

  // 7. A server with a token: the page asks for it (again after a wrong one), then works, pictures included.
  const token = randomBytes(24).toString('hex');
  writeFileSync(path.join(out, 'token.txt'), token + '\n', { mode: 0o600 });
  const tokenUrl = await startServer('--token-file', path.join(out, 'token.txt'));
  const tokenPage = await (await browser.newContext()).newPage();
  const tokenErrors = [];
  tokenPage.on('pageerror', (e) => tokenErrors.push(e.message));
  await tokenPage.goto(tokenUrl + '/');
  const dialogOpens = () => tokenPage.waitForFunction(() => document.getElementById('token-dialog').open, null,
                                                      { timeout: 15000 }).then(() => true, () => false);
  const enterToken = async (value) => {
    await tokenPage.fill('#token-input', value);
    await tokenPage.click('#token-form button');
  };
  check(await dialogOpens(), 'token server: the page asks for the token');
  await enterToken('not-the-token-0000000000000000');
  check(await dialogOpens(), 'token server: a wrong token (401) is asked for again');
  await enterToken(token);
  const loaded = await tokenPage.waitForFunction(() => / faces/.test(document.getElementById('library-status').textContent),
                                                 null, { timeout: 15000 }).then(() => true, () => false);
  check(loaded, 'token server: with the right token the page shows the library');
  await tokenPage.setInputFiles('#file', query);
  await tokenPage.waitForFunction(() => document.body.dataset.search === 'done', null, { timeout: 60000 });
  const tokenCards = await tokenPage.$$eval('#grid li.card:not([hidden])', (lis) => lis.length);
  const srcs = await thumbnailsLoaded(tokenPage);
  check(tokenCards === cards.length && srcs.every((src) => src.startsWith('blob:')),
        `token server: same ${tokenCards} matches, thumbnails fetched with the token (blob URLs)`);
  // A video result plays with the token too (fetched with it, played from memory).
  await tokenPage.setInputFiles('#file', path.join(testset, 'id01_Angelina_Jolie', 'img5.jpg'));
  await tokenPage.waitForFunction(() => document.body.dataset.search === 'done' &&
                                  document.querySelector('#grid li.card.video'), null, { timeout: 60000 });
  await tokenPage.click('#grid li.card.video button');
  const tokenVideo = await tokenPage.waitForFunction(() => {
    const v = document.getElementById('viewer-video');
    return v.readyState >= 2 && !v.seeking && v.src.startsWith('blob:') &&
           Math.abs(v.currentTime - Number(v.dataset.tBest)) <= 0.5 && { time: v.currentTime, best: Number(v.dataset.tBest) };
  }, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => null);
  check(tokenVideo !== null, `token server: the video plays from a blob at its best frame (${JSON.stringify(tokenVideo)})`);
  await tokenPage.keyboard.press('Escape');
  check(tokenErrors.length === 0, `token server: no page errors${tokenErrors.length ? ': ' + tokenErrors.join(' | ') : ''}`);
} catch (e) {
  check(false, `unexpected: ${e.stack || e.message}`);
} finally {
  await browser.close();
  for (const server of servers) server.kill('SIGTERM');
}
console.log(`screenshots in ${out}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
