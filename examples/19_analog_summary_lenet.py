"""Example 19: the analog summary of a converted LeNet-5.

``analog_summary`` runs one forward pass and prints, per layer, the input and output
shapes, the number of digital and analog parameters, the tiles used and how often each
tile is reused per input (convolutions reuse their tiles once per output pixel). The
layers are split into tiles of at most 256 x 256.
"""

from torch import nn

from aihwkit.nn.conversion import convert_to_analog
from aihwkit.simulator.configs import InferenceRPUConfig, MappingParameter
from aihwkit.utils.analog_info import analog_summary

lenet = nn.Sequential(
    nn.Conv2d(1, 16, 5), nn.Tanh(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 5), nn.Tanh(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(512, 128), nn.Tanh(),
    nn.Linear(128, 10), nn.LogSoftmax(dim=1),
)
rpu_config = InferenceRPUConfig(mapping=MappingParameter(max_input_size=256,
                                                          max_output_size=256))
analog_lenet = convert_to_analog(lenet, rpu_config)
print(analog_summary(analog_lenet, (1, 1, 28, 28)))
