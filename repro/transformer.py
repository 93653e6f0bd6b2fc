"""The pre-LayerNorm transformer block that the small GPTs of two jobs share (reversal_curse,
icl_task_diversity): causal self-attention then an MLP, each added to the residual stream."""

from __future__ import annotations

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d: int, n_heads: int, activation: type[torch.nn.Module] = torch.nn.GELU):
        super().__init__()
        self.n_heads = n_heads
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(d, 4 * d), activation(), torch.nn.Linear(4 * d, d))

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # [B, T, d] -> [B, T, d]
        B, T, d = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(B, T, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.proj(a.transpose(1, 2).reshape(B, T, d))
        return h + self.mlp(self.ln2(h))
