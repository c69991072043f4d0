"""cavmae_mm.datasets.raw_media_dataset: the modalities each recognizer
modality reads, a test pipeline's raw-file steps, the modality a file gets."""
import pytest

from cavmae_mm.datasets.raw_media_dataset import (choose_modality,
                                                  split_test_pipeline)
from cavmae_mm.models.modality import (OFFICIAL_MODALITY_NAMES, modalities_of,
                                       modality_name)
from cavmae_mm.utils.video_io import MediaError


def test_needs_follow_the_encoder_paths():
    # what the table written out before said (official names), now derived
    # from cavmae_mm.models.modality
    needs = dict(
        multimodal=('audio', 'visual'),
        audioonly=('audio', ),
        videoonly=('visual', ),
        missingaudioonly=('audio', ),
        missingvideoonly=('visual', ))
    for official, read in needs.items():
        assert modalities_of(official) == read
        assert modalities_of(OFFICIAL_MODALITY_NAMES[official]) == read
    assert modality_name('missingaudioonly') == 'audio_without_visual'
    with pytest.raises(ValueError, match='official names'):
        modality_name('audio_only')


def test_split_test_pipeline():
    steps = split_test_pipeline([
        dict(type='LoadAudio', sample_rate=16000),
        dict(type='KaldiFbank'),
        dict(type='NormalizeFbank'),
        dict(type='SelectFrames', mode='fixed', frame_use=5),
        dict(type='LoadFrames'),
        dict(type='ResizeCenterCrop', size=224),
        dict(type='EncodeLabels'),
        dict(type='PackActionInputs'),
    ])
    assert [s['type'] for s in steps.audio] == \
        ['DecodeAudio', 'KaldiFbank', 'NormalizeFbank']
    assert steps.visual == [
        dict(type='DecodeOfficialFrames', mode='fixed', frame_use=5),
        dict(type='ResizeCenterCrop', size=224)
    ]
    with pytest.raises(ValueError, match='SpecAugment'):
        split_test_pipeline([dict(type='SpecAugment')])


def test_choose_modality():
    assert choose_modality('multimodal', True, True) == 'audio_visual'
    assert choose_modality('audio_visual', False,
                           True) == 'visual_without_audio'
    assert choose_modality('multimodal', True, False) == 'audio_without_visual'
    with pytest.raises(MediaError):
        choose_modality('multimodal', False, True, fallback=False)
    with pytest.raises(MediaError, match='no usable audio'):
        choose_modality('audioonly', False, True)
