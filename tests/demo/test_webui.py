"""The page in the browser (demo/webui.py).

Its actions are tested directly (allowed folders, uploads, one-clip
fallback, index galleries), then the page itself: the server is started as
a user starts it, on a free port, with a tiny finetuned classifier and a
tiny pretrained search model, and headless Chromium (the distribution's
package, driven by Playwright) classifies an uploaded synthetic clip,
shows bad uploads and refused paths as messages while the server goes on,
runs a search, serves three requests at once and switches the model.
"""
import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import av
import pytest
import torch

from tests.helpers import ROOT, TINY_CONFIG, randomize_
from tests.tool_loader import load_tool

webui = load_tool('demo/webui.py')

#: The distribution's Chromium, by the names Debian and Ubuntu give it.
BROWSERS = ('chromium', 'chromium-browser', 'google-chrome-stable',
            'google-chrome')
INSTALL_HINT = ('the browser test needs Chromium: install the '
                "distribution's package (Debian: sudo apt-get install -y "
                'chromium; Ubuntu: sudo apt-get install -y chromium-browser)'
                ', or run make test as root, which installs it')

#: The browser tests start the server in its own process.
slow = pytest.mark.slow


def find_chromium():
    """The path of the distribution's Chromium, or None."""
    return next(
        (shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


# ---------------------------------------------------------------------------
# Models and folders
# ---------------------------------------------------------------------------
@pytest.fixture(scope='module')
def retrieval_model(media, tmp_path_factory):
    """(config, checkpoint) of a random tiny pretrained CAV-MAE whose test
    pipeline is the retrieval one (frame 5) on the synthetic media."""
    from cavmae_mm.apis import init_model
    folder = tmp_path_factory.mktemp('webui_retrieval')
    config = folder / 'tiny_retrieval.py'
    config.write_text(
        TINY_CONFIG.format(
            base=str(ROOT / 'configs/_base_/default_runtime.py'),
            schedule=str(ROOT / 'configs/_base_/schedules/adam_multistep.py'),
            root=str(media)))
    model = init_model(str(config))
    randomize_(model, seed=5)
    checkpoint = folder / 'pretrained.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    return config, checkpoint


@pytest.fixture(scope='module')
def allowed(media, tiny_classifier, retrieval_model, tmp_path_factory):
    """The folder the page may read: a gallery of the synthetic videos, an
    index of them (one entry outside the folder), the tiny classifier, and
    symbolic links that lead outside."""
    from cavmae_mm.apis import embed_files, init_model
    root = tmp_path_factory.mktemp('allowed')
    gallery = root / 'gallery'
    shutil.copytree(media / 'videos', gallery)
    models = root / 'models'
    models.mkdir()
    for path in tiny_classifier:
        shutil.copy(path, models / Path(path).name)
    model = init_model(*map(str, retrieval_model))
    index = embed_files(model, sorted(gallery.glob('*.mp4')),
                        ('audio', 'visual'))
    # ids as extract_features.py writes them, the paths it was given:
    # relative to the folder, and one file outside it
    index['video_id'] = [
        str(media / 'videos' /
            OUTSIDE) if Path(p).name == OUTSIDE else f'gallery/{Path(p).name}'
        for p in index['video_id']
    ]
    (root / 'indexes').mkdir()
    torch.save(index, root / 'indexes' / 'gallery.pt')
    (root / 'escape.mp4').symlink_to(media / 'videos' / 'c0_000.mp4')
    (root / 'outside').symlink_to(media / 'videos', target_is_directory=True)
    return root


#: The gallery file the index names by its path outside the allowed folder.
OUTSIDE = 'c2_001.mp4'


def labels_of(media):
    with open(media / 'labels.csv') as f:
        return [row['display_name'] for row in csv.DictReader(f)]


# ---------------------------------------------------------------------------
# The page's actions, without the browser
# ---------------------------------------------------------------------------
def test_paths_stay_in_the_allowed_folders(allowed, media):
    dirs = webui.AllowedDirs([str(allowed)])
    assert dirs.resolve('gallery/c0_000.mp4') == \
        (allowed / 'gallery' / 'c0_000.mp4').resolve()
    assert dirs.resolve(str(allowed / 'gallery'), 'dir').is_dir()
    refused = {
        '../x.mp4': '".." is not allowed',
        'gallery/../../x.mp4': '".." is not allowed',
        str(media / 'videos' / 'c0_000.mp4'): 'outside the allowed',
        '/etc/passwd': 'outside the allowed',
        'escape.mp4': r'outside the allowed folders \(a symbolic link\)',
        'outside': r'outside the allowed folders \(a symbolic link\)',
        str(allowed / 'escape.mp4'): 'outside the allowed',
        'gallery': 'not a file',
        '': 'no path given',
    }
    for name, reason in refused.items():
        with pytest.raises(webui.Refused, match=reason):
            dirs.resolve(name)
    with pytest.raises(FileNotFoundError, match='nope.mp4: not found'):
        dirs.resolve('nope.mp4')
    with pytest.raises(webui.Refused, match='allows no folders'):
        webui.AllowedDirs([]).resolve('gallery/c0_000.mp4')
    # a folder's files: not through links that lead out
    files = dirs.files_in(allowed, ('.mp4', ))
    assert len(files) == 6 and all(dirs.contains(f) for f in files)
    galleries = dict((v, k) for k, v in webui.find_galleries(dirs))
    assert set(galleries) == {
        str((allowed / 'gallery').resolve()),
        str((allowed / 'indexes' / 'gallery.pt').resolve())
    }


def test_uploads_are_checked(tmp_path):
    suffixes = ('.mp4', '.wav')
    empty = tmp_path / 'empty.wav'
    empty.write_bytes(b'')
    big = tmp_path / 'big.mp4'
    big.write_bytes(b'x' * 2048)
    text = tmp_path / 'notes.txt'
    text.write_text('/etc/passwd\n')
    for path, reason in ((None, 'no file uploaded'), (tmp_path / 'gone.mp4',
                                                      'the upload is gone'),
                         (empty, 'empty.wav: the file is empty'),
                         (big, 'big.mp4: 0.0 MB is over the upload limit'),
                         (text, 'notes.txt: not a file this page reads')):
        with pytest.raises(webui.Refused, match=reason):
            webui.check_upload(path and str(path), 1024, suffixes)
    assert webui.check_upload(str(big), 4096, suffixes) == big


def test_local_zoo_models(tmp_path, monkeypatch):
    from cavmae_mm.checkpoint import list_models
    from cavmae_mm.checkpoint.download import cached_file
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.chdir(tmp_path)
    assert webui.local_zoo_models() == []
    entries = [e for e in list_models() if e.weights]
    cached = cached_file(entries[0].weights)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b'weights')
    with_path = next(e for e in entries[1:] if e.default_path)
    (tmp_path / with_path.default_path).parent.mkdir(parents=True)
    (tmp_path / with_path.default_path).write_bytes(b'weights')
    found = dict(webui.local_zoo_models())
    assert found[entries[0].name] == cached
    assert found[with_path.name].resolve() == \
        (tmp_path / with_path.default_path).resolve()


@pytest.fixture(scope='module')
def ui(allowed, tiny_classifier, retrieval_model):
    workspace = webui.Workspace()
    page = webui.WebUI(
        webui.AllowedDirs([str(allowed)]), workspace, 2**20, topk=3)
    page.classifier.load(*map(str, tiny_classifier))
    page.searcher.load(*map(str, retrieval_model))
    yield page
    workspace.cleanup()
    assert not workspace.root.exists()


def test_one_clip_without_long_file_support(ui, media, monkeypatch):
    """Before cavmae_mm has classify_long, the page classifies the first
    clip and shows it as one segment (no timeline)."""
    from cavmae_mm.apis import inference_recognizer
    monkeypatch.setattr(webui, 'long_classifier', lambda: None)
    out = ui.classify(None, 'gallery/c1_000.mp4', 3)
    expected = inference_recognizer(
        ui.classifier.model, [str(media / 'videos' / 'c1_000.mp4')],
        topk=3)['results'][0]['predictions']
    assert out['labels'] == pytest.approx(
        {p['label']: p['score']
         for p in expected})
    assert out['timeline'] is None and out['video'] is None
    assert len(out['json']['segments']) == 1
    assert out['json']['input'] == f'{ui.allowed.roots[0].name}/gallery/' \
        'c1_000.mp4'  # as the page shows it, not the server's full path
    assert 'first clip only' in out['status']


def test_errors_name_the_file(ui, media):
    odd = media / 'odd'
    out = ui.classify(str(odd / 'not_media.mp4'), None, 3)
    assert out['status'].startswith('**Could not classify not_media.mp4:**')
    assert str(odd) not in out['status']  # the upload's name, not its path
    assert set(out) == {'status'}
    out = ui.classify(None, '../etc/passwd', 3)
    assert '".." is not allowed' in out['status']
    out = ui.search(str(media / 'audio' / 'c0_000.wav'), 'outside', 3)
    assert 'outside the allowed folders' in out['status']


def test_search_an_index_plays_its_clips(ui, allowed, media):
    """Every row of an index is a match (a file, or a window of a longer
    file with its times); the files in the allowed folder play from
    previews in the workspace, the one outside is named, not read."""
    index_file = allowed / 'indexes' / 'gallery.pt'
    index = torch.load(index_file, weights_only=True)
    out = ui.search(str(media / 'audio' / 'c1_000.wav'), str(index_file), 100)
    rows = len(index['video_id'])
    assert out['status'].startswith(f'**{rows} matches**'), out['status']
    shown = [row[1] for row in out['rows']]
    outside = [s for s in shown if 'not in the allowed folders' in s]
    assert outside and all(
        str(media / 'videos' / OUTSIDE) in s for s in outside)
    assert len(out['clips']) == min(rows - len(outside), webui.MAX_RESULTS)
    for clip, caption in out['clips']:
        assert Path(clip).is_relative_to(ui.workspace.root)
        with av.open(clip) as container:  # re-encoded for the browser
            assert container.streams.video[0].codec_context.name == 'h264'
            assert container.streams.audio
            assert next(container.decode(video=0), None) is not None
    scores = [row[2] for row in out['rows']]
    assert scores == sorted(scores, reverse=True)
    if 'start' in index:  # the times of each row, as the page shows them
        assert all(row[3] and row[4] for row in out['rows'])


# ---------------------------------------------------------------------------
# The page in Chromium
# ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Server(NamedTuple):
    """The page's server process, its address and the temporary folder
    it printed."""
    process: subprocess.Popen
    url: str
    log: Path
    temp: Path

    def stop(self) -> int:
        """SIGTERM, as Ctrl+C ends it; its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@pytest.fixture(scope='module')
def server(allowed, tiny_classifier, retrieval_model, tmp_path_factory):
    """The page as `make webui` starts it, on a free port, uploads up to
    1 MB."""
    pytest.importorskip(
        'gradio', reason="Gradio is missing: pip install -e '.[webui]'")
    port = free_port()
    log = tmp_path_factory.mktemp('webui_log') / 'server.log'
    command = [
        sys.executable,
        str(ROOT / 'demo' / 'webui.py'), '--config',
        str(tiny_classifier[0]), '--checkpoint',
        str(tiny_classifier[1]), '--search-config',
        str(retrieval_model[0]), '--search-checkpoint',
        str(retrieval_model[1]), '--allowed-dir',
        str(allowed), '--port',
        str(port), '--max-upload-mb', '1', '--topk', '3'
    ]
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    with open(log, 'w') as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f'http://127.0.0.1:{port}/'
    deadline = time.time() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f'the server stopped: {log.read_text()}')
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.time() > deadline:
                process.kill()
                pytest.fail(f'no answer on {url}: {log.read_text()}')
            time.sleep(0.5)
    temp = next(
        line.split(': ', 1)[1].split(' (')[0]
        for line in log.read_text().splitlines()
        if line.startswith('uploads and results: '))
    started = Server(process, url, log, Path(temp))
    yield started
    started.stop()


@pytest.fixture(scope='module')
def browser():
    sync_api = pytest.importorskip(
        'playwright.sync_api',
        reason="Playwright is missing: pip install -e '.[tests]'")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(INSTALL_HINT)
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True)
        except sync_api.Error as err:
            pytest.skip(f'{chromium} does not start ({err}); {INSTALL_HINT}')
        yield browser
        browser.close()


def open_page(browser, url):
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector('#classify-run')
    return page


def upload(page, elem_id, path):
    page.locator(f'#{elem_id} input[type=file]').set_input_files(str(path))
    # uploaded: the file's download link (from the server) is shown
    page.locator(f'#{elem_id} a[data-testid="download-link"]'
                 f'[download="{Path(path).name}"]').wait_for()


def status_text(page, elem_id):
    return page.inner_text(f'#{elem_id} [data-testid="markdown"]')


def wait_done(page, status_id, before, *texts):
    """The status Markdown once the request is done (its progress tracker
    hidden) and its text differs from ``before`` and holds one of
    ``texts``."""
    page.wait_for_function(
        """([id, before, texts]) => {
            const block = document.getElementById(id);
            const tracker = block.querySelector(
                '[data-testid="status-tracker"]');
            const text = block.querySelector(
                '[data-testid="markdown"]').innerText;
            return (!tracker || tracker.classList.contains('hide')) &&
                text !== before && texts.some(t => text.includes(t));
        }""",
        arg=[status_id, before, list(texts)])
    return status_text(page, status_id)


def run(page, button_id, status_id, *texts):
    """Clicks a button; the status once its request is done."""
    before = status_text(page, status_id)
    page.click(f'#{button_id}')
    return wait_done(page, status_id, before, *texts)


@slow
def test_page_classifies_an_uploaded_clip(browser, server, media,
                                          tiny_classifier):
    url = server.url
    page = open_page(browser, url)
    upload(page, 'classify-upload', media / 'videos' / 'c2_000.mp4')
    status = run(page, 'classify-run', 'classify-status',
                 'Classified c2_000.mp4', 'Could not')
    assert status.startswith('Classified c2_000.mp4'), status
    shown = page.inner_text('#classify-labels').splitlines()
    names = labels_of(media)
    assert [n for n in names if n in shown]
    # the same answer as the API's
    from cavmae_mm.apis import init_model
    model = init_model(*map(str, tiny_classifier))
    found = webui.classify_file(model, media / 'videos' / 'c2_000.mp4', 3)
    assert shown[2] == found['predictions'][0]['label']
    if webui.long_classifier() is not None and len(found['segments']) > 1:
        # longer than the tiny model's 0.64 s window: timeline and video
        assert page.locator('#classify-timeline img').count() == 1
        assert page.locator('#classify-video video').count() == 1
        downloads = page.inner_text('#classify-downloads').replace('\n', '')
        for name in ('c2_000_result.json', 'c2_000_timeline.png', 'c2_000.vtt',
                     'c2_000_labelled.mp4'):
            assert name in downloads
    assert server.temp.is_dir()
    page.close()


@slow
def test_page_reports_bad_input_and_goes_on(browser, server, media, tmp_path):
    url = server.url
    page = open_page(browser, url)
    zero = tmp_path / 'zero.mp4'
    zero.write_bytes(b'')
    cases = ((media / 'odd' / 'not_media.mp4',
              'Could not classify not_media.mp4: not_media.mp4: not a '
              'readable media file'),
             (media / 'odd' / 'truncated.mp4',
              'Could not classify truncated.mp4: truncated.mp4'),
             (media / 'odd' / 'empty.wav',
              'Could not classify empty.wav: empty.wav'),
             (zero, 'zero.mp4: the file is empty'))
    for path, message in cases:
        page.goto(url)
        upload(page, 'classify-upload', path)
        status = run(page, 'classify-run', 'classify-status', 'Could not',
                     'Classified')
        assert message in status, status
    # over the size limit (1 MB here): refused on upload
    big = tmp_path / 'big.mp4'
    big.write_bytes(os.urandom(int(1.5 * 2**20)))
    page.goto(url)
    page.locator('#classify-upload input[type=file]').set_input_files(str(big))
    page.get_by_text('exceed the maximum allowed size').first.wait_for()
    # names outside the allowed folders
    for name, message in (('../secret.mp4', '".." is not allowed'),
                          ('/etc/passwd', 'outside the allowed folders'),
                          ('escape.mp4', 'a symbolic link')):
        page.goto(url)
        page.fill('#classify-path textarea, #classify-path input', name)
        status = run(page, 'classify-run', 'classify-status', 'Could not',
                     'Classified')
        assert message in status, status
    # still serving
    page.goto(url)
    page.fill('#classify-path textarea, #classify-path input',
              'gallery/c0_001.mp4')
    status = run(page, 'classify-run', 'classify-status', 'Classified',
                 'Could not')
    assert status.startswith('Classified allowed') and \
        'gallery/c0_001.mp4' in status, status
    page.close()


@slow
def test_page_searches_a_gallery(browser, server, media):
    url = server.url
    page = open_page(browser, url)
    page.get_by_role('tab', name='Search').click()
    page.locator('#search-gallery input').click()
    page.get_by_role('option', name='gallery/ (6 videos here').click()
    upload(page, 'search-query', media / 'audio' / 'c1_000.wav')
    status = run(page, 'search-run', 'search-status', 'matches', 'failed')
    matches = int(status.split(' matches for c1_000.wav (audio query)')[0])
    assert matches == 6 or matches == 10, status  # files, or windows
    table = page.inner_text('#search-table')
    assert table.count('gallery/c') == matches
    assert page.locator('#search-clips video').count() == matches
    page.close()


@slow
def test_three_requests_at_once_and_a_model_switch(browser, server, allowed):
    url = server.url
    pages = [open_page(browser, url) for _ in range(3)]
    for i, page in enumerate(pages):
        page.fill('#classify-path textarea, #classify-path input',
                  f'gallery/c{i}_000.mp4')
    before = [status_text(page, 'classify-status') for page in pages]
    for page in pages:
        page.click('#classify-run')
    for i, page in enumerate(pages):
        status = wait_done(page, 'classify-status', before[i], 'Classified',
                           'Could not')
        assert status.startswith('Classified') and \
            f'gallery/c{i}_000.mp4 (' in status, status
    for page in pages[1:]:
        page.close()
    page = pages[0]
    page.get_by_role('tab', name='Model').click()
    config = page.locator('#model-config input')
    config.fill('models/tiny_multimodal_prob.py')
    config.press('Enter')
    page.fill('#model-checkpoint textarea, #model-checkpoint input',
              '../tiny.pth')
    status = run(page, 'model-load', 'model-status', 'Could not', 'Loaded')
    assert '".." is not allowed' in status, status
    page.fill('#model-checkpoint textarea, #model-checkpoint input',
              'models/tiny.pth')
    status = run(page, 'model-load', 'model-status', 'Loaded for',
                 'Could not l')
    assert status.startswith('Loaded for classify:'), status
    assert 'tiny.pth' in status
    page.close()


@slow
def test_the_server_stops_and_removes_its_folder(browser, server):
    """Last: SIGTERM ends the server as Ctrl+C does, and the temporary
    folder it printed (the uploads and results of the tests above) is
    gone."""
    assert server.temp.is_dir() and any(server.temp.rglob('*.mp4'))
    assert server.stop() == 0, server.log.read_text()
    assert not server.temp.exists()
