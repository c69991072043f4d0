"""Model-zoo names resolve to configs and weights; unknown names say which
names are close."""
import pytest
import yaml

from cavmae_mm.checkpoint import (find_by_default_path, get_model, list_models,
                                  resolve_config, zoo_root)


def test_every_metafile_entry_can_be_named():
    meta = yaml.safe_load(
        (zoo_root() / 'configs' / 'metafile.yml').read_text())
    names = [m['Name'] for m in meta['Models']]
    assert [m.name for m in list_models()] == names
    for model in meta['Models']:
        config, entry = resolve_config(model['Name'])
        assert config == zoo_root() / model['Config'] and config.is_file()
        assert entry.weights == model.get('Weights')
        official = model['Metadata'].get('Official Name')
        if official:  # recipes without released weights have none
            assert get_model(official.upper()).name == model['Name']


def test_paths_stay_paths(tmp_path):
    config = tmp_path / 'mine.py'
    config.write_text('x = 1\n')
    assert resolve_config(str(config)) == (config, None)
    with pytest.raises(FileNotFoundError, match='nope.py: config file not'):
        resolve_config(str(tmp_path / 'nope.py'))


def test_unknown_name_lists_close_names():
    with pytest.raises(ValueError) as info:
        resolve_config('cavmae-ft_as2m_as-full-51')
    message = str(info.value)
    assert 'neither a config file nor a model name' in message
    assert 'close names: cavmae-ft_as2m_as-full-51.2' in message


def test_default_download_locations():
    entry = find_by_default_path('checkpoints/cav-mae-scale++.pth')
    assert entry.official_name == 'CAV-MAE-Scale++'
    assert find_by_default_path('checkpoints/unknown.pth') is None
