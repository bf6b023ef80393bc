"""
Tabular diffusion: sampling a mixed table
=========================================

:class:`~gdcore.TabularDiffusion` (TabDDPM) learns a table with numeric and
categorical columns: numeric columns are mapped to a standard normal through
their quantiles and diffused with Gaussian noise, categorical columns are
diffused toward the uniform distribution over their levels (multinomial
diffusion), and one MLP learns to undo both. ``sample`` runs the reverse
chain from pure noise to new rows.

On the diabetes table (442 patients), ``sex`` is a categorical column; we
fit on a DataFrame, so ``sample`` returns a DataFrame with the same columns
and dtypes, and compare the marginals of real and sampled rows. The fit is
kept short (``max_iter=40`` epochs, a small denoiser) so that the example
runs in seconds; the defaults train longer.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes

from gdcore import TabularDiffusion

table = load_diabetes(as_frame=True, scaled=False).frame
table = table[["age", "sex", "bmi", "bp", "s5", "target"]]
table["sex"] = table["sex"].astype(int).astype("category")

model = TabularDiffusion(n_steps=200, n_sampling_steps=50, hidden_layer_sizes=(128, 128),
                         max_iter=40, random_state=0).fit(table)
fake = model.sample(len(table), random_state=0)
print(fake.dtypes.to_dict())
print(fake.head())

# %%
# Marginals of real and sampled rows
# ----------------------------------
# Histograms of the numeric columns and the frequencies of the two levels of
# ``sex``. The quantile map makes the numeric marginals easy to match (a
# column's own quantiles bring it to a normal); the dependence between
# columns is what the denoiser must learn.
numeric = ["age", "bmi", "bp", "s5", "target"]
fig, axes = plt.subplots(2, 3, figsize=(11, 6))
for ax, col in zip(axes.flat, numeric):
    bins = np.histogram_bin_edges(table[col], bins=20)
    ax.hist(table[col], bins=bins, alpha=0.5, density=True, label="real")
    ax.hist(fake[col], bins=bins, alpha=0.5, density=True, label="sampled")
    ax.set_title(col)
axes[0, 0].legend()
levels = table["sex"].cat.categories
real_freq = table["sex"].value_counts(normalize=True).reindex(levels)
fake_freq = fake["sex"].value_counts(normalize=True).reindex(levels, fill_value=0)
ax = axes.flat[-1]
ax.bar(np.arange(len(levels)) - 0.2, real_freq, width=0.4, label="real")
ax.bar(np.arange(len(levels)) + 0.2, fake_freq, width=0.4, label="sampled")
ax.set_xticks(np.arange(len(levels)), [f"sex={v}" for v in levels])
ax.set_title("sex (categorical)")
fig.tight_layout()
plt.show()

# %%
# A dependence between columns
# ----------------------------
# The correlation of ``bmi`` with the target (disease progression) in the
# real and in the sampled rows.
print(f"corr(bmi, target): real {table['bmi'].corr(table['target']):.2f}, "
      f"sampled {fake['bmi'].corr(fake['target']):.2f}")
