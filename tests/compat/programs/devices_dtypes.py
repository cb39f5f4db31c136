"""Device and dtype handling as scripts write it: probing for accelerators, .to(device),
dtype aliases and conversions, the default dtype."""
# ruff: noqa: PLR0402  (written as PyTorch's tutorials write it)
import torch
import torch.backends.cudnn as cudnn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, repr(device), device.type, device == torch.device("cpu"))
mps = "mps" if torch.backends.mps.is_available() else "cpu"
print(mps, torch.cuda.device_count(), torch.cuda.is_available())
cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
torch.manual_seed(0)
torch.cuda.manual_seed_all(0)

x = torch.ones(2, 3, dtype=torch.float, device=device)
print(x.dtype == torch.float32, x.dtype is torch.float32, x.device)
y = x.to(device)
print(y.device, x.cpu().device, x.to("cpu", torch.float64).dtype, x.to(torch.float64).dtype)
print(x.to(torch.zeros(1, dtype=torch.int64)).dtype)
print(x.double().dtype, x.half().dtype, x.int().dtype, x.long().dtype, x.bool().dtype)
print(x.type(torch.int32).dtype, x.type("torch.DoubleTensor").dtype, x.type())
print(torch.tensor([1, 2], dtype=torch.long).dtype, torch.zeros(2, dtype=torch.double).dtype)
print(torch.tensor([1.5], dtype=torch.half).dtype, torch.ones(2, dtype=torch.bool))
print(torch.float16 == torch.half, torch.int == torch.int32, torch.long == torch.int64)
print(isinstance(torch.float32, torch.dtype), torch.zeros(1).is_floating_point())
print(torch.finfo(torch.float32).eps, torch.iinfo(torch.int8).max)
print(torch.get_default_dtype())
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]).dtype, torch.zeros(2).dtype, torch.nn.Linear(2, 2).weight.dtype)
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]).dtype)

model = torch.nn.Linear(2, 2).to(device)
print(next(model.parameters()).device, model.weight.is_leaf)
model = model.to(torch.float64)
print(model.weight.dtype, model(torch.ones(1, 2, dtype=torch.float64)).dtype)

half = torch.tensor([1.0, 2.0], dtype=torch.float16)
print((half * 2).dtype, (half + half).dtype, half.sum().dtype)
a = torch.ones(2, dtype=torch.int64)
b = torch.ones(2, dtype=torch.float32)
print((a + b).dtype, (a * 2.5).dtype, (a / 2).dtype, (b + torch.tensor(1.0, dtype=torch.float64)).dtype)
loss = torch.nn.MSELoss()(b, a)
print(loss.dtype)
try:
    a @ b
except RuntimeError as e:
    print("RuntimeError", "dtype" in str(e).lower() or "Long" in str(e))
for bad in ("cuda", "cuda:0", "mps"):
    try:
        torch.zeros(1).to(bad)
    except (RuntimeError, AssertionError):
        print("no", bad)
