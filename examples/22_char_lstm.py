"""Example 22: a character-level LSTM on an embedded text.

Two stacked LSTM layers (``AnalogRNN`` of ``AnalogLSTMCellCombinedWeight`` cells: one tile
for the input and recurrent weights of all gates) and an analog read-out learn to predict
the next character of a short text. The configuration keeps the bias digital and one
tile per layer (``max_input_size = max_output_size = 0``) with 8-bit DAC/ADC; after
training a few characters are generated greedily.
"""

import torch
from torch import nn

from aihwkit.nn import AnalogLinear, AnalogLSTMCellCombinedWeight, AnalogRNN, AnalogSequential
from aihwkit.optim import AnalogSGD
from aihwkit.simulator.configs import MappingParameter, SingleRPUConfig
from aihwkit.simulator.presets import IdealizedPresetDevice

torch.manual_seed(0)

TEXT = ("well, prince, so genoa and lucca are now just family estates of the buonapartes. "
        "but i warn you, if you don't tell me that this means war, if you still try to "
        "defend the infamies and horrors perpetrated by that antichrist, i really believe "
        "he is antichrist, i will have nothing more to do with you. ") * 3
CHARS = sorted(set(TEXT))
INDEX = {c: i for i, c in enumerate(CHARS)}
DATA = torch.tensor([INDEX[c] for c in TEXT])
HIDDEN, SEQ_LEN, BATCH = 48, 30, 16

rpu_config = SingleRPUConfig(device=IdealizedPresetDevice(),
                             mapping=MappingParameter(digital_bias=True, max_input_size=0,
                                                      max_output_size=0))
rpu_config.forward.inp_res = 1 / 254
rpu_config.forward.out_res = 1 / 254
rpu_config.forward.out_scale = 1.0


class CharLSTM(AnalogSequential):
    """Embedding (digital), two analog LSTM layers and an analog read-out."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(len(CHARS), 16)
        self.rnn = AnalogRNN(AnalogLSTMCellCombinedWeight, 16, HIDDEN, num_layers=2,
                             rpu_config=rpu_config)
        self.out = AnalogLinear(HIDDEN, len(CHARS), rpu_config=rpu_config)

    def forward(self, tokens, states=None):  # pylint: disable=arguments-differ
        sequence, states = self.rnn(self.embed(tokens), states)
        return self.out(sequence), states


model = CharLSTM()
optimizer = AnalogSGD(model.parameters(), lr=2.0)
optimizer.regroup_param_groups(model)

for step in range(160):
    starts = torch.randint(0, DATA.numel() - SEQ_LEN - 1, (BATCH,))
    chunk = torch.stack([DATA[s:s + SEQ_LEN + 1] for s in starts], dim=1)  # [T+1, B]
    optimizer.zero_grad()
    logits, _ = model(chunk[:-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, len(CHARS)), chunk[1:].reshape(-1))
    loss.backward()
    optimizer.step()
    if step % 40 == 0 or step == 159:
        print(f"step {step:3d}: loss {loss.item():.3f}")

model.eval()
prompt = "but i warn you"
tokens = torch.tensor([INDEX[c] for c in prompt]).unsqueeze(1)
with torch.no_grad():
    logits, states = model(tokens)
    generated = []
    for _ in range(40):
        nxt = logits[-1].argmax(dim=-1, keepdim=True)
        generated.append(CHARS[int(nxt)])
        logits, states = model(nxt, states)
print(f"{prompt!r} -> {''.join(generated)!r}")
