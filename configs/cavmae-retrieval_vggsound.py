# Zero-shot audio-visual retrieval on VGGSound (official src/retrieval.py),
# 5 clips per class of the test set; see cavmae-retrieval_as.py.
_base_ = ['./cavmae-retrieval_as.py']

test_dataloader = dict(
    dataset=dict(
        data_root='data/vggsound',
        label_file='class_labels_indices_vgg.csv',
        ann_file='vgg_test_5_per_class_for_retrieval_cleaned.json',
        multi_label=False))
