/*
 * model_edit.h - graph edits and partial runs of a vn_model, for the
 * transfer layer (lib/transfer/): removing nodes and running up to a node.
 * They live in nn because they need the model's layout (model.h); the
 * public verbs built on them are in visionnet/transfer.h.
 */
#ifndef VN_NN_MODEL_EDIT_H
#define VN_NN_MODEL_EDIT_H

#include "nn/model.h"

/* Keep the nodes i with keep[i] (m->nnodes entries) and remove the others
 * with their parameters; kept nodes keep their order, names, parameters
 * and flags, and their inputs are renumbered. Every input of a kept node
 * must be kept (VN_ERR_INTERNAL otherwise, model unchanged). The inference
 * plan and any pending backward are dropped. Fails only before changing
 * anything. */
vn_status vn__model_keep_nodes(vn_model *m, const bool *keep);

/* Run input through the nodes that feed node `target` (and target) in
 * inference mode, and hand target's activation to the caller (*out, a new
 * tensor). Intermediate activations are freed as soon as their last
 * consumer has run. The model's planned activations are not touched. */
vn_status vn__model_forward_to(vn_model *m, const vn_tensor *input, int target, vn_tensor **out);

#endif /* VN_NN_MODEL_EDIT_H */
