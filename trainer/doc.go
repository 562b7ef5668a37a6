// Package trainer orchestrates the training loops: supervised fine-tuning,
// the Bradley-Terry reward model, and Reinforce++ (with GRPO / RLOO
// variants). The RL math lives in its own pure file; this package wires
// rollout, rewards, policy updates, metrics and checkpoints together.
package trainer
