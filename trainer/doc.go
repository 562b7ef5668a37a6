// Package trainer orchestrates the training loops: supervised fine-tuning,
// the Bradley-Terry reward model, and Reinforce++ (with GRPO / RLOO
// variants). Math lives in pure files (advantages.go, losses.go, the
// optimiser in trainer/optim); the rest wires rollout, rewards, policy
// updates, metrics and checkpoints together.
//
// # One Reinforce++ step, file by file
//
//  1. cmd/train-policy/main.go — flags and config, then TrainPolicy.
//  2. policy_loop.go — TrainPolicy: the actor, the frozen reference, the
//     rewarder and the prompts; a PolicyTrainer run by the shared loop.
//  3. loop.go — the loop every trainer shares: step, log, progress,
//     periodic and final checkpoints.
//  4. policy.go — PolicyTrainer.Step: one rollout, then the update.
//  5. policy_experience.go — MakeExperience: samples from the sampler
//     (package rollout) with their log π_old, rewards computed while
//     generation continues, log π_ref, advantages.
//  6. policy_reward.go — the rule reward (programs run in the sandbox,
//     package rewards) or the reward model's score.
//  7. advantages.go — per-token returns with the k1 KL in the reward,
//     baselines (RLOO, GRPO) and whitening over the batch: pure functions.
//  8. policy_update.go — micro-batches through the update graph: the
//     policy's tempered log-probs (policy.Decoder), the loss, gradients.
//  9. losses.go — the PPO-clip policy loss and KL penalties as graph
//     functions.
//  10. optim/optimizer.go — gradients accumulated, clipped, applied by
//     AdamW.
//
// Below these sit the decoder (policy/decoder.go, the one block used by
// training, scoring and sampling) and the sampler (rollout/engine.go).
//
// log π_old comes from the sampler: the tempered log-prob of each sampled
// token under the weights that sampled it (rollout.Sample.PolicyLogProbs),
// equal to a full forward's within float32 rounding; RescoreOld recomputes
// it with a scoring pass instead, as OpenRLHF does.
package trainer
