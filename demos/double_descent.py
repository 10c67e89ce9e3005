"""Does a bigger model always over-fit? Fit noisy data with more and more random ReLU features
by least squares, and watch the test error against the number of features.

Try: drag the number of features from 1 up to the number of training points — the test error
climbs to a spike exactly where the model can just fit every training point — then keep going
past it: the error comes back down, often below the best small model. Move the training-set size
and the spike moves with it. Finally pick a ridge penalty: 1e-4 already removes most of the spike
and 1e-3 all of it; 0.1 flattens everything, including the accuracy.
"""

from fieldguide import overparam

TITLE = "Double descent with random ReLU features"
BADGE = "TOY"
ASSETS = []
CONTROLS = [
    {"name": "n_features", "kind": "range", "label": "Random features k (model size)", "min": 1,
     "max": overparam.MAX_FEATURES, "step": 1, "default": 20},
    {"name": "n_train", "kind": "range", "label": "Training points n", "min": 10, "max": 100,
     "step": 1, "default": 40},
    {"name": "noise", "kind": "range", "label": "Label noise (standard deviation)", "min": 0,
     "max": 1, "step": 0.05, "default": 0.3},
    {"name": "ridge", "kind": "select", "label": "Ridge penalty λ",
     "options": [[0.0, "0 (minimum-norm least squares)"], [1e-4, "1e-4"], [1e-3, "1e-3"],
                 [1e-2, "1e-2"], [1e-1, "1e-1"]], "default": 0.0},
    {"name": "seed", "kind": "number", "label": "Seed", "min": 0, "max": 9999, "step": 1, "default": 0},
]


def _sig(values):
    """6 significant digits: BLAS may differ in the last bit between runs, the chart must not."""
    return [float(f"{v:.6g}") for v in values]


def _regime(k, n, ridge):
    if ridge > 0 and k >= n:
        return f"{k} features ≥ {n} points, but the ridge penalty trades an exact fit for smaller weights"
    if k < n:
        return f"under-parameterised: {k} features < {n} points, the classical regime"
    if k == n:
        return f"at the interpolation threshold: {k} features = {n} points"
    return f"over-parameterised: {k} features > {n} points, many exact fits; the smallest-norm one is used"


def render(n_features=20, n_train=40, noise=0.3, ridge=0.0, seed=0):
    dd = overparam.double_descent(n_features, n_train, noise, ridge, seed)
    cur, n = dd["current"], dd["threshold"]
    k = cur["n_features"]
    ks, test = dd["n_features"], dd["test_mse"]
    traces = [{"type": "scatter", "mode": "lines+markers", "name": f"test error, λ = {ridge:g}",
               "x": ks, "y": _sig(test), "line": {"color": "#264653"}, "marker": {"size": 4}}]
    if ridge > 0:
        plain = overparam.double_descent(n_features, n_train, noise, 0.0, seed)
        traces.insert(0, {"type": "scatter", "mode": "lines", "name": "test error, λ = 0",
                          "x": plain["n_features"], "y": _sig(plain["test_mse"]),
                          "line": {"color": "#bbbbbb", "width": 1}})
    traces.append({"type": "scatter", "mode": "markers", "name": f"k = {k}", "x": [k],
                   "y": _sig([cur["test_mse"]]), "marker": {"size": 13, "color": "#e76f51", "symbol": "diamond"}})
    all_y = [y for t in traces for y in t["y"]]
    layout = {"xaxis": {"title": {"text": "random features k"}, "range": [0, overparam.MAX_FEATURES + 2]},
              "yaxis": {"title": {"text": "test mean squared error (log)"}, "type": "log"},
              "shapes": [{"type": "line", "x0": n, "x1": n, "y0": min(all_y), "y1": max(all_y),
                          "line": {"color": "#e9c46a", "dash": "dash", "width": 2}}],
              "legend": {"orientation": "h", "y": -0.25}, "margin": {"t": 20}}
    best_under = dd["best_below_threshold"]
    at = dict(zip(ks, test))
    alt = (f"Test error against the number of random features, {n} training points, noise {noise:g}, "
           f"ridge {ridge:g}, seed {seed}. Test MSE: {at[1]:.3g} at k = 1, "
           f"{at[n]:.3g} at k = n = {n}, {at[ks[-1]]:.3g} at k = {ks[-1]}; the highest on the sweep "
           f"is {max(test):.3g} at k = {dd['peak_features']}. Best on the sweep with fewer features "
           f"than points: {best_under:.3g}. Current point k = {k}: {cur['test_mse']:.3g}. The dashed line marks k = n.")
    stats = {"kind": "stats", "items": [
        {"label": "Features / points", "value": f"{k} / {n}", "note": _regime(k, n, ridge)},
        {"label": "Train MSE", "value": f"{cur['train_mse']:.3g}",
         "note": "≈ 0 means every training point is fitted exactly"},
        {"label": "Test MSE", "value": f"{cur['test_mse']:.3g}",
         "note": f"predicting 0 everywhere scores {cur['zero_mse']:.3g}"},
        {"label": "Weight norm ‖w‖", "value": f"{cur['weight_norm']:.3g}",
         "note": "the size of the fit; it peaks at the threshold too"},
        {"label": "Worst k on the sweep", "value": str(dd["peak_features"]),
         "note": f"test MSE {max(test):.3g}"},
    ]}
    return [stats, {"kind": "plotly", "figure": {"data": traces, "layout": layout}, "alt": alt},
            {"kind": "text", "text": (
                "Toy set-up: 10-dimensional Gaussian inputs, a smooth target plus noise, ReLU features "
                "with fixed random weights; only the output layer is fitted, with numpy.linalg.lstsq. "
                "Test error is measured against the noiseless target on 500 fresh points.")}]
