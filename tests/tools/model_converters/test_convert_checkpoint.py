"""tools/model_converters/convert_checkpoint.py: official <-> cavmae_mm,
bit-exact."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cavmae_mm.checkpoint import mm_to_official
from cavmae_mm.registry import MODELS
from tests.helpers import randomize_, tiny_inputs, tiny_recognizer_cfg
from tests.tool_loader import load_tool

convert_checkpoint = load_tool('tools/model_converters/convert_checkpoint.py')

ROOT = Path(__file__).resolve().parents[3]
# tests/data/official_cavmae_*_keys.txt: every released tensor
SPEC = ROOT / 'tests' / 'data'


def spec_state(name, seed=0):
    """Random tensors with every name and shape of a released checkpoint."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for line in (SPEC / name).read_text().splitlines():
        key, shape = line.split('\t')
        shape = tuple(int(s) for s in shape.strip('()').split(',') if s)
        state[key] = torch.randn(shape, generator=gen)
    return state


@pytest.mark.parametrize(
    'name,kind',
    [
        ('official_cavmae_pretrain_keys.txt', 'pretrain'),
        ('official_cavmae_finetune_keys.txt', 'finetune'),
        ('official_cavmae_sync_keys.txt', 'pretrain'),  # CAV-MAE Sync
    ])
def test_round_trip_is_bit_exact_for_every_released_key(tmp_path, name, kind):
    official = spec_state(name)
    src, mid, back = (tmp_path / n for n in ('o.pth', 'mm.pth', 'b.pth'))
    torch.save(official, src)
    assert convert_checkpoint.main([str(src), str(mid)]) == 0
    converted = torch.load(mid, weights_only=True)
    assert converted['meta']['kind'] == kind
    assert len(converted['state_dict']) == len(official)
    assert convert_checkpoint.main(['--reverse', str(mid), str(back)]) == 0
    restored = torch.load(back, weights_only=True)
    assert list(restored) == list(official)
    for key, value in official.items():
        assert torch.equal(restored[key], value), key
        assert restored[key].dtype == value.dtype


def test_converted_checkpoint_loads_and_gives_the_same_logits(tmp_path):
    model = randomize_(MODELS.build(tiny_recognizer_cfg())).eval()
    official = mm_to_official(model.state_dict(), module_prefix=False)
    torch.save(official, tmp_path / 'o.pth')
    assert convert_checkpoint.main(
        [str(tmp_path / 'o.pth'),
         str(tmp_path / 'mm.pth')]) == 0
    other = MODELS.build(tiny_recognizer_cfg()).eval()
    state = torch.load(tmp_path / 'mm.pth', weights_only=True)['state_dict']
    other.load_state_dict(state, strict=True)
    inputs = tiny_inputs()
    assert torch.equal(
        other(inputs, mode='tensor'), model(inputs, mode='tensor'))


def run_tool(*args):
    return subprocess.run([
        sys.executable,
        str(ROOT / 'tools' / 'model_converters' / 'convert_checkpoint.py'),
        *map(str, args)
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_not_a_checkpoint_exits_nonzero_with_one_line(tmp_path):
    bad = tmp_path / 'notes.pth'
    bad.write_bytes(b'these are not tensors')
    result = run_tool(bad, tmp_path / 'out.pth')
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'not a readable PyTorch checkpoint' in lines[0]
    assert str(bad) in lines[0]
    assert not (tmp_path / 'out.pth').exists()


def test_unsafe_pickle_is_refused(tmp_path):
    path = tmp_path / 'unsafe.pth'
    torch.save({'x': subprocess.Popen}, path)
    assert convert_checkpoint.main([str(path), str(tmp_path / 'o')]) == 1


@pytest.mark.parametrize('edit,reason', [
    (lambda s: s.pop('module.norm_a.weight'), 'missing'),
    (lambda s: s.__setitem__('module.extra_head.weight', torch.zeros(2)),
     'unexpected'),
    (lambda s: s.__setitem__('module.norm_v.bias', torch.zeros(5)),
     'unexpected'),
    (lambda s: [s.pop(k) for k in list(s)
                if 'mlp_head' in k], 'neither a decoder nor an mlp_head'),
])
def test_mismatching_checkpoints_are_reported(tmp_path, capsys, edit, reason):
    state = spec_state('official_cavmae_finetune_keys.txt')
    edit(state)
    torch.save(state, tmp_path / 'o.pth')
    assert convert_checkpoint.main(
        [str(tmp_path / 'o.pth'),
         str(tmp_path / 'mm.pth')]) == 1
    err = capsys.readouterr().err
    assert reason in err and 'o.pth' in err
    assert len(err.strip().splitlines()) == 1


def test_imagenet_init_cls_tokens_are_dropped_with_notice(tmp_path, capsys):
    state = spec_state('official_cavmae_pretrain_keys.txt')
    state['module.cls_token_a'] = torch.zeros(1, 1, 768)
    torch.save(state, tmp_path / 'o.pth')
    assert convert_checkpoint.main(
        [str(tmp_path / 'o.pth'),
         str(tmp_path / 'mm.pth')]) == 0
    assert 'cls_token_a' in capsys.readouterr().out


def test_reverse_rejects_foreign_layout(tmp_path):
    torch.save({'fc.weight': torch.zeros(2, 2)}, tmp_path / 'x.pth')
    assert convert_checkpoint.main(
        ['--reverse',
         str(tmp_path / 'x.pth'),
         str(tmp_path / 'y')]) == 1
