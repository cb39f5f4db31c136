""""Let's build GPT"-style: the mathematical trick of self-attention (a causal mask from
torch.tril), one attention head trained for a few steps on a tiny sequence task, then
greedy and top-k decoding under inference_mode."""
import torch
import torch.nn as nn
from helpers import init_params, rand_labels, randn
from torch.nn import functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.set_printoptions(precision=3)

# averaging the past: three ways that agree
B, T, C = 2, 4, 3
x = randn(B, T, C).to(device)
xbow = torch.zeros((B, T, C), device=device)
for b in range(B):
    for t in range(T):
        xbow[b, t] = torch.mean(x[b, : t + 1], 0)
wei = torch.tril(torch.ones(T, T, device=device))
wei = wei / wei.sum(1, keepdim=True)
xbow2 = wei @ x
tril = torch.tril(torch.ones(T, T))
wei3 = torch.zeros((T, T)).masked_fill(tril == 0, float("-inf"))
xbow3 = F.softmax(wei3, dim=-1) @ x
print(torch.allclose(xbow, xbow2, atol=1e-6), torch.allclose(xbow2, xbow3, atol=1e-6))
print(tril, torch.triu(torch.ones(T, T), diagonal=1).bool())
print(xbow2[0])


class Head(nn.Module):
    def __init__(self, n_embd, head_size, block_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))

    def forward(self, x):
        B, T, C = x.shape
        k, q = self.key(x), self.query(x)
        wei = q.bmm(k.transpose(1, 2)) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        return wei.bmm(self.value(x))


class TinyModel(nn.Module):
    def __init__(self, vocab, n_embd=8, block_size=6):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        self.head = Head(n_embd, n_embd, block_size)
        self.lm_head = nn.Linear(n_embd, vocab)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))
        logits = self.lm_head(self.head(x))
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss


vocab = 5
model = init_params(TinyModel(vocab), seed=1).to(device)
# the task: each token is the previous one plus one, modulo the vocabulary
start = rand_labels(8, vocab, seed=2)
idx = (start.unsqueeze(1) + torch.arange(6)) % vocab
xb, yb = idx[:, :-1], (idx[:, :-1] + 1) % vocab
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
for step in range(30):
    logits, loss = model(xb.to(device), yb.to(device))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if step % 10 == 9:
        print(step, f"{loss.item():.4f}")

with torch.inference_mode():
    logits, _ = model(xb[:2])
    print(logits.requires_grad, logits.argmax(-1))
    values, indices = logits[:, -1, :].topk(2, dim=-1)
    print(values, indices)
    probs = F.softmax(logits[:, -1, :], dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    print(sorted_probs.cumsum(-1), order)
torch.set_printoptions(profile="default")
