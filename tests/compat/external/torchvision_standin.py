"""A STAND-IN for torchvision, so that real PyTorch teaching programs run without downloads.

It is not torchvision. It has only what the tutorials and examples that
run_external.py runs call, and it serves *random* data of the real datasets' shapes and
dtypes: FashionMNIST and MNIST (1x28x28 images, 10 classes), CIFAR10 (3x32x32, 10 classes),
each with a few dozen samples (SIZES) so that a program's epochs are short without editing
the program. Images are uint8 arrays (where torchvision gives PIL images), drawn from numpy
with a fixed seed, so both backends see the same pixels. `models.vgg16` and
`models.resnet18` are tiny untrained networks with the real ones' input and output shapes
(and `fc` / `classifier` attributes), not the real architectures; "pretrained" weights are
the default initialisation.

`install()` registers it as `torchvision` in sys.modules. Import this file only after the
backend is chosen (after `tinygrad_lr.as_torch()` for tinygrad_lr): it builds its models
from whatever `torch` then is.
"""
import enum
import sys
import types
import zlib

import numpy as np
import torch
from torch import nn

# (train, test) samples per dataset: small, so that the programs' loops stay short
SIZES = {"FashionMNIST": (128, 64), "MNIST": (128, 64), "CIFAR10": (40, 100)}


# ---- transforms -----------------------------------------------------------------------

class ToTensor:
    """uint8 HxW or HxWxC array -> float32 CxHxW tensor in [0, 1] (as torchvision's)."""

    def __call__(self, pic):
        a = pic[:, :, None] if pic.ndim == 2 else pic
        return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1), np.float32) / 255)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    def __init__(self, mean, std):
        self.mean = np.asarray(mean, np.float32).reshape(-1, 1, 1)
        self.std = np.asarray(std, np.float32).reshape(-1, 1, 1)

    def __call__(self, tensor):
        return torch.from_numpy((tensor.numpy() - self.mean) / self.std)


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)


# ---- datasets -------------------------------------------------------------------------

class _RandomImages:
    shape = (28, 28)

    def __init__(self, root=None, train=True, download=False, transform=None,
                 target_transform=None):
        n = SIZES[type(self).__name__][0 if train else 1]
        rng = np.random.default_rng([zlib.crc32(type(self).__name__.encode()), train])
        self.data = rng.integers(0, 256, (n, *self.shape), dtype=np.uint8)
        self.targets = [int(t) for t in rng.integers(0, 10, n)]
        self.transform, self.target_transform = transform, target_transform
        self.train, self.root = train, root

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class FashionMNIST(_RandomImages):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class MNIST(_RandomImages):
    classes = [f"{i} - {w}" for i, w in enumerate(
        "zero one two three four five six seven eight nine".split())]


class CIFAR10(_RandomImages):
    shape = (32, 32, 3)
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]


# ---- utils ----------------------------------------------------------------------------

def make_grid(tensor, nrow=8, padding=2, pad_value=0.0):
    """B x C x H x W -> C x H' x W': the images side by side (as torchvision's layout)."""
    a = tensor.detach().numpy()
    b, c, h, w = a.shape
    cols = min(nrow, b)
    rows = -(-b // cols)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                   pad_value, a.dtype)
    for i in range(b):
        y, x = (i // cols) * (h + padding) + padding, (i % cols) * (w + padding) + padding
        grid[:, y:y + h, x:x + w] = a[i]
    return torch.from_numpy(grid)


# ---- models ---------------------------------------------------------------------------

class Weights(enum.Enum):
    IMAGENET1K_V1 = "IMAGENET1K_V1"
    DEFAULT = "IMAGENET1K_V1"


class VGG(nn.Module):
    """3 x H x W images -> 1000 logits, with VGG's features / avgpool / classifier parts."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(8 * 7 * 7, 64), nn.ReLU(), nn.Dropout(),
                                        nn.Linear(64, 1000))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class ResNet(nn.Module):
    """3 x H x W images -> 1000 logits, ending in `fc = Linear(512, 1000)` as resnet18."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 512, kernel_size=7, stride=8, padding=3, bias=False)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        return self.fc(torch.flatten(self.avgpool(self.relu(self.conv1(x))), 1))


def vgg16(weights=None, **kwargs):
    return VGG()


def resnet18(weights=None, **kwargs):
    return ResNet()


def install():
    """Register this stand-in as torchvision (and its submodules) in sys.modules."""
    parts = {
        "transforms": {"ToTensor": ToTensor, "Normalize": Normalize, "Compose": Compose,
                       "Lambda": Lambda},
        "datasets": {"FashionMNIST": FashionMNIST, "MNIST": MNIST, "CIFAR10": CIFAR10},
        "utils": {"make_grid": make_grid},
        "models": {"vgg16": vgg16, "resnet18": resnet18, "VGG": VGG, "ResNet": ResNet,
                   "VGG16_Weights": Weights, "ResNet18_Weights": Weights},
    }
    top = types.ModuleType("torchvision", __doc__)
    top.__path__ = []
    for sub, names in parts.items():
        module = types.ModuleType(f"torchvision.{sub}")
        for name, obj in names.items():
            setattr(module, name, obj)
            if isinstance(obj, type):  # pickling a whole model finds its class here
                obj.__module__ = module.__name__
        setattr(top, sub, module)
        sys.modules[module.__name__] = module
    sys.modules["torchvision"] = top
    return top
