"""tools/analysis_tools/plot_logs.py: MMEngine scalars.json -> curves (PNG)."""
import json

from tests.tool_loader import load_tool

plot_logs = load_tool('tools/analysis_tools/plot_logs.py')


def write_run(work, stamp, records):
    path = work / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def test_resumed_run_is_one_curve_and_plots(tmp_path):
    work = tmp_path / 'work'
    write_run(work, '20260101_000000', [
        dict(
            lr=1e-3,
            loss=3.0,
            loss_c=0.5,
            acc_c=0.1,
            time=0.2,
            epoch=1,
            iter=2,
            step=2),
        dict(
            lr=1e-3, loss=2.5, loss_c=0.4, acc_c=0.2, epoch=1, iter=4, step=4),
        {
            'audioset/mAP': 0.1,
            'step': 1
        },
    ])
    # resumed from iter 2: iter 4 is trained again and replaces the first
    write_run(work, '20260101_010000', [
        dict(
            lr=5e-4, loss=2.4, loss_c=0.35, acc_c=0.3, epoch=1, iter=4,
            step=4),
        dict(
            lr=5e-4, loss=2.0, loss_c=0.3, acc_c=0.4, epoch=2, iter=6, step=6),
        {
            'audioset/mAP': 0.2,
            'step': 2
        },
    ])
    series = plot_logs.read_scalars(plot_logs.find_scalar_files(work))
    assert series['train']['loss'] == [(2, 3.0), (4, 2.4), (6, 2.0)]
    assert series['val']['audioset/mAP'] == [(1, 0.1), (2, 0.2)]
    assert 'time' not in series['train']
    assert plot_logs.default_keys(series) == [
        'lr', 'loss', 'loss_c', 'acc_c', 'audioset/mAP'
    ]
    by_epoch = plot_logs.read_scalars(
        plot_logs.find_scalar_files(work), 'epoch')
    assert by_epoch['train']['loss'] == [(1, 2.4), (2, 2.0)]

    out = tmp_path / 'curves.png'
    assert plot_logs.main([str(work), '--out', str(out)]) == 0
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert out.stat().st_size > 10_000


def test_bad_inputs_are_named(tmp_path, capsys):
    work = tmp_path / 'work'
    path = write_run(work, 'run', [dict(loss=1.0, iter=1, step=1)])
    assert plot_logs.main(
        [str(work), '--keys', 'mAP', '--out',
         str(tmp_path / 'x.png')]) == 1
    assert "no such key(s) ['mAP']" in capsys.readouterr().err
    assert plot_logs.main([str(tmp_path / 'missing')]) == 1
    assert 'no such file or work dir' in capsys.readouterr().err
    with path.open('a') as f:
        f.write('{not json\n')
    assert plot_logs.main([str(path), '--out', str(tmp_path / 'y.png')]) == 1
    assert f'{path}, line 2: not JSON' in capsys.readouterr().err
    assert not (tmp_path / 'x.png').exists()
