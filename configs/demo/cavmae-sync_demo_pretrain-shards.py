# The Sync demo pretraining read from WebDataset shards (`demo/demo.py
# --sync --shards` packs the demo's datalists, every extracted frame of a
# clip, with tools/data/pack_shards.py into DATA/shards/{train,test}): the
# same recipe, only the data source differs, as in
# cavmae_demo_pretrain-shards.py.
_base_ = ['./cavmae-sync_demo_pretrain.py', '../_base_/datasets/shards.py']

train_dataloader = dict(
    sampler=dict(_base_.shard_sampler, window=2),
    dataset=dict(
        type=_base_.shard_dataset, ann_file='shards/train/manifest.json'))
test_dataloader = dict(
    dataset=dict(
        type=_base_.shard_dataset, ann_file='shards/test/manifest.json'))
