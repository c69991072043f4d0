# The demo pretraining read from WebDataset shards (`demo/demo.py --shards`
# packs the demo's datalists with tools/data/pack_shards.py into
# DATA/shards/{train,test}): the same recipe, only the data source differs.
_base_ = ['./cavmae_demo_pretrain.py']

train_dataloader = dict(
    sampler=dict(type='ShardAwareSampler', window=2),
    dataset=dict(
        type='ShardedAudioVisualDataset',
        ann_file='shards/train/manifest.json'))
test_dataloader = dict(
    dataset=dict(
        type='ShardedAudioVisualDataset',
        ann_file='shards/test/manifest.json'))
