# cavmae-ft_as20k.py read from WebDataset shards (tools/data/pack_shards.py;
# docs/data_preparation.md): the same recipe (every clip once per epoch,
# read window by window of shards), only the data source differs.
_base_ = ['./cavmae-ft_as20k.py', '_base_/datasets/shards.py']

eval_shards = dict(
    type=_base_.shard_dataset,
    ann_file='shards/audioset_eval_cleaned/manifest.json')
train_dataloader = dict(
    sampler=dict(_base_.shard_sampler, _delete_=True),
    dataset=dict(
        dataset=dict(
            type=_base_.shard_dataset,
            ann_file='shards/audioset_20k_cleaned/manifest.json')))
val_dataloader = dict(dataset=eval_shards)
test_dataloader = dict(dataset=eval_shards)
