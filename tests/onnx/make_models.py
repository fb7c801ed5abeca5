#!/usr/bin/python3
"""Networks made and exported by PyTorch (torch.onnx.export), the judge of tl's
ONNX import. For each model NAME writes into OUT:
  NAME.onnx        the exported network (random weights, seeded)
  NAME.input.bin   a batch of inputs, float32, NCHW (or N,F)
  NAME.output.bin  PyTorch's outputs for that batch, float32
Batchnorm statistics are randomised so a wrong import of them shows.

  /usr/bin/python3 tests/onnx/make_models.py OUT [NAME ...]
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision

torch.manual_seed(7)


class SmallCNN(nn.Module):
    """MNIST-shaped: conv (padding 1) + batchnorm + relu, max pool with padding,
    average pool, flatten of a 16x4x4 image into a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=(1, 0))
        self.pool2 = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(16 * 3 * 3, 32)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.tanh(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc2(self.drop(torch.nn.functional.leaky_relu(self.fc1(x), 0.1)))


class Excite(nn.Module):
    """MobileNetV3-like: depthwise conv, hardswish, squeeze-and-excite with 1x1
    convolutions on the pooled vector and hardsigmoid, residual add, clip."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.dw2 = nn.Conv2d(16, 32, 5, stride=2, padding=2, groups=16)
        self.fc1 = nn.Conv2d(32, 8, 1)
        self.fc2 = nn.Conv2d(8, 32, 1)
        self.project = nn.Conv2d(32, 32, 1)
        self.head = nn.Linear(32, 5)

    def forward(self, x):
        x = nn.functional.hardswish(self.bn(self.stem(x)))
        x = x + torch.clamp(self.dw(x), -1.0, 1.5)
        x = nn.functional.relu6(self.dw2(x))
        s = nn.functional.adaptive_avg_pool2d(x, 1)
        s = nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s))))
        x = self.project(x * s)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(torch.sigmoid(x), 1), 1)
        return torch.softmax(self.head(x), dim=1)


class Tiny(nn.Module):
    """For tests/cli's 8x8 'tiny' data set (5 classes): imported, cut, frozen
    and given a new head by a script."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class CeilPools(nn.Module):
    """Pooling with ceil_mode = True (torchvision's GoogLeNet and SqueezeNet
    use it): windows that overhang the image's end, with and without padding,
    max and average (PyTorch's default count_include_pad = 1 without pads)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.pool2 = nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)
        self.pool3 = nn.AvgPool2d(2, stride=2, ceil_mode=True)  # count_include_pad = 1: no pads, so no padded cell to count
        self.fc = nn.Linear(6 * 3 * 3, 4)

    def forward(self, x):  # 20x20 -> 18 -> 9 (ceil) -> 5 (ceil, padded; a 6th window would start in the pad) -> 3 (ceil)
        x = self.pool3(self.pool2(self.pool1(torch.relu(self.conv(x)))))
        return self.fc(torch.flatten(x, 1))


class Branches(nn.Module):
    """Inception, ResNeXt and DeepLab operators: three branches joined by
    torch.cat (a 1x1 conv, a 3x3 conv at dilation 2, an average pool that
    counts its padding as PyTorch does by default, then a 1x1 conv), a
    grouped convolution (4 groups of 7 channels into 8), a depthwise one at
    dilation 3, and the average- and max-pooled vectors joined."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.b1 = nn.Conv2d(16, 8, 1)
        self.b2 = nn.Conv2d(16, 12, 3, padding=2, dilation=2)
        self.b3 = nn.AvgPool2d(3, stride=1, padding=1)
        self.b3c = nn.Conv2d(16, 8, 1)
        self.grouped = nn.Conv2d(28, 32, 3, stride=2, padding=1, groups=4)
        self.bn = nn.BatchNorm2d(32)
        self.dw = nn.Conv2d(32, 32, 3, padding=3, dilation=3, groups=32)
        self.head = nn.Linear(64, 6)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.cat([torch.relu(self.b1(x)), torch.relu(self.b2(x)), self.b3c(self.b3(x))], 1)
        x = torch.relu(self.bn(self.grouped(x)))
        x = torch.relu(self.dw(x)) + x
        v = torch.cat([nn.functional.adaptive_avg_pool2d(x, 1), nn.functional.adaptive_max_pool2d(x, 1)], 1)
        return self.head(torch.flatten(v, 1))


class Upsample(nn.Module):
    """Resizes an image (nearest neighbour): an operator tl does not import."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 2, 3, padding=1)

    def forward(self, x):
        return torch.flatten(nn.functional.interpolate(self.a(x), scale_factor=2.0, mode="nearest"), 1)


def randomise_batchnorm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


MODELS = {
    # name: (constructor, input shape, opset, keep batchnorm as its own node)
    "small_cnn": (SmallCNN, (4, 1, 28, 28), 13, True),
    "small_cnn_opset17": (SmallCNN, (4, 1, 28, 28), 17, False),
    "excite": (Excite, (3, 3, 32, 32), 13, True),
    "tiny": (Tiny, (4, 1, 8, 8), 11, True),
    "branches": (Branches, (3, 3, 20, 20), 13, True),
    "upsample": (Upsample, (2, 1, 8, 8), 13, False),
    "ceil_pools": (CeilPools, (3, 3, 20, 20), 13, False),
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=10), (2, 3, 64, 64), 13, False),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(num_classes=10), (2, 3, 64, 64), 13, False),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(num_classes=10), (2, 3, 64, 64), 13, False),
    "googlenet": (lambda: torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=True), (2, 3, 64, 64), 13, False),
}


def pad_conv(out):
    """A Pad of zeros (asymmetric, as ZeroPad2d writes it) before a Conv,
    built with onnx.helper: PyTorch 1.13 exports ZeroPad2d's pads as a chain
    of shape operators. PyTorch's F.pad and F.conv2d give the expected
    outputs."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    g = torch.Generator().manual_seed(11)
    w = torch.randn(4, 3, 3, 3, generator=g)
    b = torch.randn(4, generator=g)
    fc = torch.randn(5, 4, generator=g)
    x = torch.randn(3, 3, 8, 8, generator=g)
    pads = [0, 0, 0, 1, 0, 0, 1, 2]  # N, C, top, left begins; N, C, bottom, right ends
    with torch.no_grad():
        y = torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 2, 0, 1)), w, b)
        y = torch.relu(y).mean((2, 3)) @ fc.T
    inits = [numpy_helper.from_array(w.numpy(), "w"), numpy_helper.from_array(b.numpy(), "b"),
             numpy_helper.from_array(fc.numpy(), "fc"), numpy_helper.from_array(np.array(pads, dtype=np.int64), "pads")]
    nodes = [helper.make_node("Pad", ["input", "pads"], ["padded"], name="pad", mode="constant"),
             helper.make_node("Conv", ["padded", "w", "b"], ["conv"], name="conv", kernel_shape=[3, 3]),
             helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
             helper.make_node("GlobalAveragePool", ["relu"], ["pool"], name="pool"),
             helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
             helper.make_node("Gemm", ["flat", "fc"], ["output"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "pad_conv", [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "pad_conv.onnx"))
    x.numpy().astype("<f4").tofile(os.path.join(out, "pad_conv.input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(out, "pad_conv.output.bin"))
    print(f"pad_conv: {tuple(x.shape)} -> {tuple(y.shape)}, opset 13 (onnx.helper)")


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS) + ["pad_conv"]
    os.makedirs(out, exist_ok=True)
    for name in names:
        if name == "pad_conv":
            pad_conv(out)
            continue
        make, shape, opset, keep_bn = MODELS[name]
        model = make()
        randomise_batchnorm(model)
        model.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(out, name + ".onnx")
        # TRAINING keeps BatchNormalization nodes (with training_mode 0 in
        # eval); EVAL lets the exporter fold them into the convolutions.
        mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, training=mode,
                          do_constant_folding=not keep_bn)
        x.numpy().astype("<f4").tofile(os.path.join(out, name + ".input.bin"))
        y.numpy().astype("<f4").tofile(os.path.join(out, name + ".output.bin"))
        print(f"{name}: {tuple(shape)} -> {tuple(y.shape)}, opset {opset}")


main()
