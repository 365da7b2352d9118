"""Adaptation: finetuning, joint training with multimodal reconstruction and test-time training
(the MMEarth-Bench protocol)."""
