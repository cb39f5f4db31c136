"""In the style of "NLP From Scratch: Classifying Names with a Character-Level RNN": letters
as one-hot tensors, an RNN cell built from nn.Linear, NLLLoss, manual SGD."""
# ruff: noqa: PLR0402, RUF059  (written as PyTorch's tutorials write it)
import string

import torch
import torch.nn as nn
from helpers import init_params

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
category_lines = {"English": ["Smith", "Jones", "Brown"], "French": ["Dubois", "Lefevre"],
                  "Italian": ["Rossi", "Russo", "Bruno"]}
all_categories = list(category_lines)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(lineToTensor("Jones").size())


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = torch.tanh(self.i2h(combined))
        output = self.softmax(self.h2o(hidden))
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = init_params(RNN(n_letters, n_hidden, n_categories), seed=20)
criterion = nn.NLLLoss()
learning_rate = 0.05


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


for it in range(30):
    for category, lines in category_lines.items():
        line = lines[it % len(lines)]
        category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
        output, loss = train(category_tensor, lineToTensor(line))
    if it % 10 == 9:
        guess, _ = categoryFromOutput(output)
        print(it, f"{loss:.4f}", line, guess)

with torch.no_grad():
    hidden = rnn.initHidden()
    line_tensor = lineToTensor("Rossi")
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    topv, topi = output.topk(2, 1, True)
    print([(all_categories[topi[0][i].item()], round(topv[0][i].item(), 4)) for i in range(2)])
