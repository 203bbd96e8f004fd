"""Slow, obviously correct pure-Python versions of the crowd models.

Each function takes a compiled Table (only to read its rows and claim
numbering), runs exactly ``n_iter`` iterations with loops and dicts, and
returns ``(claim_probability, value, reliability)`` as Python lists, the
claims numbered as in the table. They follow the papers' formulas
directly; tests/test_models_crowd.py checks the vectorised models against
them.
"""

from __future__ import annotations

import math
from typing import Any

from credscore.models.crh import chi2_lower_quantile
from credscore.table.table import Table

Result = tuple[list[float], list[Any], list[float]]


def rows(table: Table) -> list[tuple[int, int, Any]]:
    """``(source, object, value)`` of every assertion."""
    out = []
    for a in range(table.n_assertions):
        c = int(table.claim[a])
        v = table.claim_value[c]
        out.append(
            (
                int(table.source[a]),
                int(table.claim_object[c]),
                v.item() if hasattr(v, "item") else v,
            )
        )
    return out


def claims(table: Table) -> list[tuple[int, Any]]:
    """``(object, value)`` of every claim, in the table's claim order."""
    out = []
    for c in range(table.n_claims):
        v = table.claim_value[c]
        out.append((int(table.claim_object[c]), v.item() if hasattr(v, "item") else v))
    return out


def softmax(xs: list[float]) -> list[float]:
    top = max(xs)
    es = [math.exp(x - top) for x in xs]
    z = sum(es)
    return [e / z for e in es]


def log_sigmoid(x: float) -> float:
    # log(1 / (1 + e^-x)), stable on both sides
    if x >= 0:
        return -math.log1p(math.exp(-x))
    return x - math.log1p(math.exp(x))


def _claim_posterior(
    table: Table, logp: dict[int, list[float]], index: dict[Any, int]
) -> list[float]:
    """Per-claim probability: the object's log posterior restricted to its claims."""
    cl = claims(table)
    prob = [0.0] * len(cl)
    by_obj: dict[int, list[int]] = {}
    for c, (o, _) in enumerate(cl):
        by_obj.setdefault(o, []).append(c)
    for o, cs in by_obj.items():
        ps = softmax([logp[o][index[cl[c][1]]] for c in cs])
        for c, p in zip(cs, ps):
            prob[c] = p
    return prob


def _best_values(table: Table, prob: list[float]) -> list[Any]:
    cl = claims(table)
    best: dict[int, int] = {}
    for c, (o, _) in enumerate(cl):
        if o not in best or prob[c] > prob[best[o]]:
            best[o] = c
    return [cl[best[o]][1] for o in range(table.n_objects)]


def _majority_start(table: Table, labels: list[Any]) -> dict[int, list[float]]:
    """Posterior per object = share of its answers for each label."""
    index = {lab: i for i, lab in enumerate(labels)}
    count: dict[int, list[float]] = {}
    for _, o, v in rows(table):
        count.setdefault(o, [0.0] * len(labels))[index[v]] += 1
    return {o: [x / sum(cs) for x in cs] for o, cs in count.items()}


def _hold(
    post: dict[int, list[float]], gold: dict[int, Any] | None, index: dict[Any, int]
) -> dict[int, list[float]]:
    """Posteriors with each known object certain of its known value."""
    for o, v in (gold or {}).items():
        post[o] = [1.0 if t == index[v] else 0.0 for t in range(len(index))]
    return post


def clamp_claims(table: Table, prob: list[float], gold: dict[int, Any] | None) -> list[float]:
    """Claim probabilities with each known object's claims set to 1 for its
    value and 0 for the others, where some source gave the value."""
    out = list(prob)
    cl = claims(table)
    for o, v in (gold or {}).items():
        mine = [c for c, (oo, _) in enumerate(cl) if oo == o]
        if any(cl[c][1] == v for c in mine):
            for c in mine:
                out[c] = 1.0 if cl[c][1] == v else 0.0
    return out


def dawid_skene(
    table: Table,
    n_iter: int,
    smoothing: float = 0.01,
    gold: dict[int, Any] | None = None,
    prior_strength: float = 0.0,
    prior_accuracy: float = 0.7,
    prior_confusion: dict[Any, list[list[float]]] | None = None,
) -> Result:
    """Dawid & Skene (1979): full confusion matrices, EM from majority vote.
    ``gold`` ({object index: value}) holds those objects' posteriors at
    their value from the start and after every E-step. Each confusion row
    of true label t gets pseudo-counts: ``prior_strength * prior_accuracy``
    on the answer t and ``prior_strength * (1 - prior_accuracy) / (K - 1)``
    on each other answer, or a source's own row ``prior_confusion[id][t]``."""
    labels = sorted({v for _, v in claims(table)})
    k = len(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    data = rows(table)
    n_src, n_obj = table.n_sources, table.n_objects
    post = _hold(_majority_start(table, labels), gold, index)
    for _ in range(n_iter):
        # M-step
        counts = [[[0.0] * k for _ in range(k)] for _ in range(n_src)]
        for s, o, v in data:
            for true in range(k):
                counts[s][true][index[v]] += post[o][true]

        def pseudo(s: int, t: int, lab: int) -> float:
            sid = table.source_ids[s]
            if prior_confusion and sid in prior_confusion:
                return float(prior_confusion[sid][t][lab])
            if k == 1:
                return prior_strength
            share = prior_accuracy if lab == t else (1 - prior_accuracy) / (k - 1)
            return prior_strength * share

        conf = [
            [
                [
                    (counts[s][t][lab] + pseudo(s, t, lab) + smoothing)
                    / (sum(counts[s][t]) + sum(pseudo(s, t, x) for x in range(k)) + k * smoothing)
                    for lab in range(k)
                ]
                for t in range(k)
            ]
            for s in range(n_src)
        ]
        label_total = [sum(post[o][t] for o in range(n_obj)) for t in range(k)]
        prior = [(label_total[t] + smoothing) / (n_obj + k * smoothing) for t in range(k)]
        reliability = [
            sum(counts[s][t][t] for t in range(k)) / sum(sum(r) for r in counts[s])
            for s in range(n_src)
        ]
        # E-step
        logp = {o: [math.log(prior[t]) for t in range(k)] for o in range(n_obj)}
        for s, o, v in data:
            for t in range(k):
                logp[o][t] += math.log(conf[s][t][index[v]])
        post = _hold({o: softmax(logp[o]) for o in range(n_obj)}, gold, index)
    prob = clamp_claims(table, _claim_posterior(table, logp, index), gold)
    return prob, _best_values(table, prob), reliability


def one_coin(
    table: Table,
    n_iter: int,
    smoothing: float = 0.01,
    learn_prior: bool = False,
    gold: dict[int, Any] | None = None,
    prior_strength: float = 0.0,
    prior_accuracy: float = 0.7,
    prior_accuracies: dict[Any, float] | None = None,
) -> Result:
    """One-coin Dawid-Skene: accuracy p_j, errors uniform over the K - 1 others;
    ``gold`` as in :func:`dawid_skene`. A Beta prior adds ``prior_strength``
    pseudo-answers, a share ``prior_accuracy`` (or the source's own
    ``prior_accuracies[id]``) of them correct."""
    labels = sorted({v for _, v in claims(table)})
    k = len(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    data = rows(table)
    n_src, n_obj = table.n_sources, table.n_objects
    post = _hold(_majority_start(table, labels), gold, index)
    for _ in range(n_iter):
        correct = [0.0] * n_src
        total = [0.0] * n_src
        for s, o, v in data:
            correct[s] += post[o][index[v]]
            total[s] += 1
        mean = [
            (prior_accuracies or {}).get(table.source_ids[s], prior_accuracy) for s in range(n_src)
        ]
        acc = [
            (correct[s] + prior_strength * mean[s] + smoothing)
            / (total[s] + prior_strength + 2 * smoothing)
            for s in range(n_src)
        ]
        if learn_prior:
            label_total = [sum(post[o][t] for o in range(n_obj)) for t in range(k)]
            prior = [(label_total[t] + smoothing) / (n_obj + k * smoothing) for t in range(k)]
        else:
            prior = [1.0 / k] * k
        logp = {o: [math.log(prior[t]) for t in range(k)] for o in range(n_obj)}
        for s, o, v in data:
            for t in range(k):
                if t == index[v]:
                    logp[o][t] += math.log(acc[s])
                else:
                    logp[o][t] += math.log((1 - acc[s]) / max(k - 1, 1))
        post = _hold({o: softmax(logp[o]) for o in range(n_obj)}, gold, index)
    prob = clamp_claims(table, _claim_posterior(table, logp, index), gold)
    return prob, _best_values(table, prob), acc


def _glad_step(
    data: list[tuple[int, int, Any]],
    q: list[float],
    alpha: list[float],
    b: list[float],
    alpha_mean: float,
    log_beta_mean: float,
    prior_precision: float,
    max_step: float,
) -> tuple[list[float], list[float]]:
    """GLAD's M-step from ``q`` (the posterior that each answer is right): one
    Fisher step on each log beta, then one Newton step on each alpha."""

    def clip(x: float) -> float:
        return max(-max_step, min(max_step, x))

    grad_b = [-prior_precision * (bo - log_beta_mean) for bo in b]
    info_b = [prior_precision] * len(b)
    for (s, o, _), qa in zip(data, q):
        x = alpha[s] * math.exp(b[o])
        sig = math.exp(log_sigmoid(x))
        grad_b[o] += (qa - sig) * x
        info_b[o] += sig * (1 - sig) * x * x
    b = [b[o] + clip(grad_b[o] / info_b[o]) for o in range(len(b))]
    grad_a = [-prior_precision * (a - alpha_mean) for a in alpha]
    curv_a = [prior_precision] * len(alpha)
    for (s, o, _), qa in zip(data, q):
        beta = math.exp(b[o])
        sig = math.exp(log_sigmoid(alpha[s] * beta))
        grad_a[s] += (qa - sig) * beta
        curv_a[s] += sig * (1 - sig) * beta * beta
    return [alpha[s] + clip(grad_a[s] / curv_a[s]) for s in range(len(alpha))], b


def glad(
    table: Table,
    n_iter: int,
    alpha_mean: float = 1.0,
    log_beta_mean: float = 0.0,
    prior_precision: float = 1.0,
    max_step: float = 1.0,
    gold: dict[int, Any] | None = None,
) -> Result:
    """Whitehill et al. (2009), one Fisher step on each b, one Newton step on
    each alpha; ``gold`` as in :func:`dawid_skene` (posteriors held)."""
    labels = sorted({v for _, v in claims(table)})
    k = len(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    data = rows(table)
    n_src, n_obj = table.n_sources, table.n_objects
    alpha = [alpha_mean] * n_src
    b = [log_beta_mean] * n_obj

    def log_posterior() -> dict[int, list[float]]:
        logp = {o: [-math.log(k)] * k for o in range(n_obj)}
        for s, o, v in data:
            x = alpha[s] * math.exp(b[o])
            for t in range(k):
                if t == index[v]:
                    logp[o][t] += log_sigmoid(x)
                else:
                    logp[o][t] += log_sigmoid(-x) - math.log(max(k - 1, 1))
        return logp

    for _ in range(n_iter):
        post = _hold({o: softmax(lp) for o, lp in log_posterior().items()}, gold, index)
        q = [post[o][index[v]] for s, o, v in data]
        alpha, b = _glad_step(
            data, q, alpha, b, alpha_mean, log_beta_mean, prior_precision, max_step
        )
    prob = clamp_claims(table, _claim_posterior(table, log_posterior(), index), gold)
    return prob, _best_values(table, prob), [math.exp(log_sigmoid(a)) for a in alpha]


# -- loss-weighted models and numeric baselines --------------------------------


def _group(table: Table) -> dict[int, list[tuple[int, Any]]]:
    """object -> [(source, value)]"""
    out: dict[int, list[tuple[int, Any]]] = {}
    for s, o, v in rows(table):
        out.setdefault(o, []).append((s, v))
    return out


def closeness(
    table: Table, estimate: list[float], weight: list[float] | None = None
) -> list[float]:
    """Candidate mass by a normal density around the estimate (see voting.py)."""
    groups = _group(table)
    cl = claims(table)
    prob = [0.0] * len(cl)
    for o in range(table.n_objects):
        cs = [c for c in range(len(cl)) if cl[c][0] == o]
        ans = groups[o]
        ws = [1.0 if weight is None else weight[s] for s, _ in ans]
        tot = sum(ws)
        spread = sum(w * (v - estimate[o]) ** 2 for w, (_, v) in zip(ws, ans))
        dist = [(cl[c][1] - estimate[o]) ** 2 for c in cs]
        if spread > 0 and tot > 0:
            s2 = spread / tot
            ps = softmax([-d / (2 * s2) for d in dist])
        else:
            near = [d == min(dist) for d in dist]
            ps = [x / sum(near) for x in near]
        for c, p in zip(cs, ps):
            prob[c] = p
    return prob


def closeness_reliability(table: Table, estimate: list[float]) -> list[float]:
    groups = _group(table)
    err: dict[int, list[float]] = {}
    for o, ans in groups.items():
        sd = math.sqrt(sum((v - estimate[o]) ** 2 for _, v in ans) / len(ans))
        for s, v in ans:
            err.setdefault(s, []).append(abs(v - estimate[o]) / sd if sd > 0 else 0.0)
    return [1 / (1 + sum(err[s]) / len(err[s])) for s in range(table.n_sources)]


def mean(table: Table) -> Result:
    groups = _group(table)
    est = [sum(v for _, v in groups[o]) / len(groups[o]) for o in range(table.n_objects)]
    return closeness(table, est), est, closeness_reliability(table, est)


def median(table: Table) -> Result:
    groups = _group(table)
    est = []
    for o in range(table.n_objects):
        vs = sorted(v for _, v in groups[o])
        n = len(vs)
        est.append(vs[n // 2] if n % 2 else (vs[n // 2 - 1] + vs[n // 2]) / 2)
    return closeness(table, est), est, closeness_reliability(table, est)


def _weighted_truths(
    table: Table, weight: list[float], loss_kind: str
) -> tuple[list[float], list[Any], dict[tuple[int, int], float]]:
    """(claim probability, truths, loss of each (source, object) answer)."""
    groups = _group(table)
    cl = claims(table)
    loss: dict[tuple[int, int], float] = {}
    truths: list[Any] = []
    prob = [0.0] * len(cl)
    for o in range(table.n_objects):
        ans = groups[o]
        ws = [weight[s] for s, _ in ans]
        if sum(ws) <= 0:
            ws = [1.0] * len(ans)
        cs = [c for c in range(len(cl)) if cl[c][0] == o]
        if not table.numeric:
            score = {cl[c][1]: 0.0 for c in cs}
            for w, (_, v) in zip(ws, ans):
                score[v] += w
            best = None
            for c in cs:  # first maximum in claim order
                if best is None or score[cl[c][1]] > score[best]:
                    best = cl[c][1]
            truths.append(best)
            z = sum(score.values())
            for c in cs:
                prob[c] = score[cl[c][1]] / z if z > 0 else 1 / len(cs)
            for s, v in ans:
                loss[(s, o)] = 0.0 if v == best else 1.0
            continue
        if loss_kind == "absolute":
            pairs = sorted(zip([v for _, v in ans], ws))
            tot = sum(ws)
            cum = 0.0
            est = pairs[-1][0]
            for v, w in pairs:
                cum += w
                if cum >= 0.5 * tot - 1e-9 * tot:
                    est = v
                    break
        else:
            est = sum(w * v for w, (_, v) in zip(ws, ans)) / sum(ws)
        truths.append(est)
        m = sum(v for _, v in ans) / len(ans)
        sd = math.sqrt(sum((v - m) ** 2 for _, v in ans) / len(ans))
        for s, v in ans:
            d = abs(v - est) if loss_kind == "absolute" else (v - est) ** 2
            loss[(s, o)] = d / sd if sd > 0 else 0.0
    if table.numeric:
        prob = closeness(table, truths, weight)
    return prob, truths, loss


def _gold_losses(
    table: Table,
    losses: dict[tuple[int, int], float],
    gold: dict[int, Any] | None,
    loss_kind: str,
) -> dict[tuple[int, int], float]:
    """``losses`` with the known objects' answers scored against their known
    values (0-1 on labels; on numbers the distance over the answers' spread)."""
    if not gold:
        return losses
    out = dict(losses)
    groups = _group(table)
    for o, g in gold.items():
        ans = groups[o]
        if not table.numeric:
            for s, v in ans:
                out[(s, o)] = 0.0 if v == g else 1.0
            continue
        m = sum(v for _, v in ans) / len(ans)
        sd = math.sqrt(sum((v - m) ** 2 for _, v in ans) / len(ans))
        for s, v in ans:
            d = abs(v - g) if loss_kind == "absolute" else (v - g) ** 2
            out[(s, o)] = d / sd if sd > 0 else 0.0
    return out


def crh(
    table: Table,
    n_iter: int,
    loss: str = "squared",
    smoothing: float = 0.5,
    gold: dict[int, Any] | None = None,
) -> Result:
    """Li et al. (SIGMOD 2014): w_s = -log(loss share); ``gold``
    ({object: value}): those objects' answers lose against the known value."""
    n_src = table.n_sources
    weight = [1.0] * n_src
    for _ in range(n_iter):
        _, _, losses = _weighted_truths(table, weight, loss)
        losses = _gold_losses(table, losses, gold, loss)
        per_src = [smoothing] * n_src
        for (s, _), d in losses.items():
            per_src[s] += d
        total = sum(per_src)
        weight = [-math.log(x / total) for x in per_src]
    prob, truths, _ = _weighted_truths(table, weight, loss)
    top = max(weight)
    return prob, truths, [w / top if top > 0 else 1.0 for w in weight]


def catd(
    table: Table,
    n_iter: int,
    alpha: float = 0.05,
    smoothing: float = 0.5,
    gold: dict[int, Any] | None = None,
) -> Result:
    """Li et al. (VLDB 2015): w_s = chi2_{alpha/2}(N_s) / loss_s; ``gold`` as
    in :func:`crh`."""
    n_src = table.n_sources
    n_ans = [0] * n_src
    for s, _, _ in rows(table):
        n_ans[s] += 1
    quantile = [float(chi2_lower_quantile(alpha / 2, [n])[0]) for n in n_ans]
    weight = [1.0] * n_src
    for _ in range(n_iter):
        _, _, losses = _weighted_truths(table, weight, "squared")
        losses = _gold_losses(table, losses, gold, "squared")
        per_src = [smoothing] * n_src
        for (s, _), d in losses.items():
            per_src[s] += d
        weight = [quantile[s] / per_src[s] for s in range(n_src)]
    prob, truths, _ = _weighted_truths(table, weight, "squared")
    top = max(weight)
    return prob, truths, [w / top for w in weight]


def lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x) by its power series, term by term (for checking the quantile)."""
    term = 1.0 / a
    total = term
    n = 0
    while term > total * 1e-17:
        n += 1
        term *= x / (a + n)
        total += term
    return math.exp(a * math.log(x) - x - math.lgamma(a)) * total


def wawa(table: Table) -> Result:
    """Majority vote (first most voted claim of each object), each source's
    share of answers agreeing with it, then the vote weighted by the shares."""
    cl = claims(table)
    votes = [0] * len(cl)
    for a in range(table.n_assertions):
        votes[int(table.claim[a])] += 1
    by_object: dict[int, list[int]] = {}
    for c, (o, _) in enumerate(cl):
        by_object.setdefault(o, []).append(c)
    plain = {}
    for o, cs in by_object.items():
        top = max(votes[c] for c in cs)
        plain[o] = min(c for c in cs if votes[c] == top)
    agree: dict[int, list[int]] = {}
    for a in range(table.n_assertions):
        s, c = int(table.source[a]), int(table.claim[a])
        rec = agree.setdefault(s, [0, 0])
        rec[0] += int(plain[cl[c][0]] == c)
        rec[1] += 1
    skill = [agree[s][0] / agree[s][1] if s in agree else 0.0 for s in range(table.n_sources)]
    score = [0.0] * len(cl)
    for a in range(table.n_assertions):
        score[int(table.claim[a])] += skill[int(table.source[a])]
    prob = [0.0] * len(cl)
    value: list[Any] = []
    for o in sorted(by_object):
        cs = by_object[o]
        total = sum(score[c] for c in cs)
        for c in cs:
            prob[c] = score[c] / total if total > 0 else 1.0 / len(cs)
        top = max(score[c] for c in cs)
        value.append(cl[min(c for c in cs if score[c] == top)][1])
    return prob, value, skill


def mace(
    table: Table, n_iter: int, smoothing: float = 0.5, gold: dict[int, Any] | None = None
) -> Result:
    """MACE by EM (Hovy et al. 2013): P(answer k | truth t) =
    (1 - theta_j) [k = t] + theta_j xi_j(k); the truth uniform over each
    object's claimed values; xi_j smoothed over all K values of the table;
    started from the spam = disagreement with the majority vote."""
    rs = rows(table)
    cl = claims(table)
    index = {c: i for i, c in enumerate(cl)}
    n_s = table.n_sources
    k = len({v for _, v in cl})
    by_object: dict[int, list[int]] = {}
    for c, (o, _) in enumerate(cl):
        by_object.setdefault(o, []).append(c)
    votes = [0] * len(cl)
    for _, o, v in rs:
        votes[index[(o, v)]] += 1
    plain_best = {}
    for o, cs in by_object.items():
        top = max(votes[c] for c in cs)
        plain_best[o] = min(c for c in cs if votes[c] == top)
    answers = [(s, o, v, index[(o, v)]) for s, o, v in rs]

    def m_step(spam: list[float]) -> tuple[list[float], dict[tuple[int, Any], float]]:
        n = [0.0] * n_s
        sj = [0.0] * n_s
        sjk: dict[tuple[int, Any], float] = {}
        for (s, _, v, _), e in zip(answers, spam):
            n[s] += 1
            sj[s] += e
            sjk[(s, v)] = sjk.get((s, v), 0.0) + e
        theta = [(sj[s] + smoothing) / (n[s] + 2 * smoothing) for s in range(n_s)]
        xi = {(s, v): (x + smoothing) / (sj[s] + k * smoothing) for (s, v), x in sjk.items()}
        return theta, xi

    held = {c: float(cl[c][1] == gold[o]) for c, (o, _) in enumerate(cl) if o in (gold or {})}
    start = [held.get(c, 1.0 if plain_best[o] == c else 0.0) for _, o, _, c in answers]
    theta, xi = m_step([1.0 - x for x in start])
    prob = [votes[c] / sum(votes[d] for d in by_object[o]) for c, (o, _) in enumerate(cl)]
    prob = [held.get(c, p) for c, p in enumerate(prob)]
    for _ in range(n_iter):
        logs = [0.0] * len(cl)
        for s, _, v, c in answers:
            spam = theta[s] * xi[(s, v)]
            logs[c] += math.log((1 - theta[s] + spam) / spam)
        for cs in by_object.values():
            ps = softmax([logs[c] for c in cs])
            for c, p in zip(cs, ps):
                prob[c] = held.get(c, p)
        spam_e = []
        for s, _, v, c in answers:
            sp = theta[s] * xi[(s, v)]
            spam_e.append(prob[c] * sp / (1 - theta[s] + sp) + (1 - prob[c]))
        theta, xi = m_step(spam_e)
    for o, cs in by_object.items():  # a known value nobody gave: uniform over the claims
        if o in (gold or {}) and not any(held[c] for c in cs):
            for c in cs:
                prob[c] = 1.0 / len(cs)
    # the values: most probable claim, the first on ties
    value = []
    for o in sorted(by_object):
        cs = by_object[o]
        top = max(prob[c] for c in cs)
        value.append(cl[min(c for c in cs if prob[c] == top)][1])
    return prob, value, [1 - t for t in theta]


# -- the Bayesian aggregators -------------------------------------------------


def digamma(x: float) -> float:
    """psi(x) for x > 0: psi(x) = psi(x + 1) - 1/x up to x >= 20, then the
    asymptotic series ln x - 1/(2x) - sum B_2n / (2n x^2n)."""
    acc = 0.0
    while x < 20.0:
        acc -= 1.0 / x
        x += 1.0
    bernoulli = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66]
    series = sum(b / (2 * (n + 1) * x ** (2 * (n + 1))) for n, b in enumerate(bernoulli))
    return acc + math.log(x) - 1.0 / (2.0 * x) - series


def _dirichlet_expected_logs(alpha: list[float]) -> list[float]:
    """E ln theta; a component of parameter 0 is 0 for certain: -inf."""
    total = digamma(sum(alpha))
    return [digamma(a) - total if a > 0 else -math.inf for a in alpha]


def _dirichlet_entropy(alpha: list[float]) -> float:
    """H = ln B(alpha) + (a0 - K) psi(a0) - sum (a_k - 1) psi(a_k)."""
    a0 = sum(alpha)
    log_b = sum(math.lgamma(a) for a in alpha) - math.lgamma(a0)
    return log_b + (a0 - len(alpha)) * digamma(a0) - sum((a - 1.0) * digamma(a) for a in alpha)


def ebcc(
    table: Table,
    n_iter: int,
    split: Any,
    *,
    subtype_prior: float = 0.1,
    class_prior: list[float] | None = None,
    diagonal: float = 4.0,
    off_diagonal: float = 1.0,
    gold: dict[int, Any] | None = None,
) -> tuple[list[float], list[Any], list[float], float]:
    """EBCC by mean-field VB (Li, Rubinstein & Cohn 2019), ``n_iter`` updates
    of q(t, g) from the start ``split[o][k][m] * majority share(o, k)``; also
    returns the ELBO of the final q. ``class_prior=None``: the
    majority-vote label counts (the authors' empirical prior). IBCC is
    one subtype."""
    labels = sorted({v for _, v in claims(table)})
    k = len(labels)
    m = len(split[0][0]) if len(split) else 1
    index = {lab: i for i, lab in enumerate(labels)}
    data = [(s, o, index[v]) for s, o, v in rows(table)]
    n_s, n_o = table.n_sources, table.n_objects
    share = _majority_start(table, labels)
    if class_prior is None:
        class_prior = [sum(share[o][t] for o in range(n_o)) for t in range(k)]
    q = {
        o: [[split[o][t][g] * share[o][t] for g in range(m)] for t in range(k)] for o in range(n_o)
    }
    known = {o: index[v] for o, v in (gold or {}).items()}
    for o, t0 in known.items():  # the known class only, its subtypes as started
        row = split[o][t0] if share[o][t0] > 0 else [1.0 / m] * m
        q[o] = [[row[g] if t == t0 else 0.0 for g in range(m)] for t in range(k)]

    def beta(t: int, lab: int) -> float:
        return diagonal if t == lab else off_diagonal

    def posteriors(q: dict[int, list[list[float]]]) -> tuple[Any, Any, Any]:
        nu = [class_prior[t] + sum(sum(q[o][t]) for o in range(n_o)) for t in range(k)]
        eta = [
            [subtype_prior / m + sum(q[o][t][g] for o in range(n_o)) for g in range(m)]
            for t in range(k)
        ]
        mu = [
            [[[beta(t, lab) for lab in range(k)] for g in range(m)] for t in range(k)]
            for _ in range(n_s)
        ]
        for s, o, lab in data:
            for t in range(k):
                for g in range(m):
                    mu[s][t][g][lab] += q[o][t][g]
        return nu, eta, mu

    log_joint: dict[int, list[list[float]]] = {}
    for _ in range(n_iter):
        nu, eta, mu = posteriors(q)
        e_tau = _dirichlet_expected_logs(nu)
        e_pi = [_dirichlet_expected_logs(eta[t]) for t in range(k)]
        e_v = [
            [[_dirichlet_expected_logs(mu[s][t][g]) for g in range(m)] for t in range(k)]
            for s in range(n_s)
        ]
        log_joint = {
            o: [[e_tau[t] + e_pi[t][g] for g in range(m)] for t in range(k)] for o in range(n_o)
        }
        for s, o, lab in data:
            for t in range(k):
                for g in range(m):
                    log_joint[o][t][g] += e_v[s][t][g][lab]
        for o, t0 in known.items():
            for t in range(k):
                if t != t0:
                    log_joint[o][t] = [-math.inf] * m
        for o in range(n_o):
            flat = softmax([x for row in log_joint[o] for x in row])
            q[o] = [flat[t * m : (t + 1) * m] for t in range(k)]
    # ELBO of the final q: sum (posterior - 1) E ln theta + entropies, plus H[q]
    nu, eta, mu = posteriors(q)
    elbo = 0.0
    dirichlets = [nu] + eta + [mu[s][t][g] for s in range(n_s) for t in range(k) for g in range(m)]
    for alpha in dirichlets:
        alpha = [a for a in alpha if a > 0]  # a component fixed at 0 adds nothing
        e_log = _dirichlet_expected_logs(alpha)
        elbo += sum((a - 1.0) * e for a, e in zip(alpha, e_log)) + _dirichlet_entropy(alpha)
    for o in range(n_o):
        elbo -= sum(p * math.log(p) for row in q[o] for p in row if p > 0)
    logp = {}
    for o in range(n_o):
        logp[o] = []
        for t in range(k):
            top = max(log_joint[o][t])
            if top == -math.inf:
                logp[o].append(-1e300)  # another class than the known one
                continue
            logp[o].append(top + math.log(sum(math.exp(x - top) for x in log_joint[o][t])))
    prob = clamp_claims(table, _claim_posterior(table, logp, index), gold)
    rel_sum = [0.0] * n_s
    rel_n = [0] * n_s
    cl_index = {c: i for i, c in enumerate(claims(table))}
    for s, o, v in rows(table):
        rel_sum[s] += prob[cl_index[(o, v)]]
        rel_n[s] += 1
    rel = [rel_sum[s] / rel_n[s] if rel_n[s] else 0.0 for s in range(n_s)]
    return prob, _best_values(table, prob), rel, elbo


def bwa(
    table: Table,
    n_iter: int,
    *,
    precision_prior: float = 15.0,
    item_prior: float = 1.0,
    prior_correction: bool = True,
    gold: dict[int, Any] | None = None,
) -> Result:
    """BWA (Li & Yu 2019): for each label, y = [answer is the label] ~
    N(z_i, 1/v_j); v_j = (a + N_j) / (b + sum (z_i - y_ij)^2), z_i = (lambda
    mu + sum v_j y_ij) / (lambda + sum v_j), from the vote shares."""
    labels = sorted({v for _, v in claims(table)})
    k = len(labels)
    index = {lab: i for i, lab in enumerate(labels)}
    data = [(s, o, index[v]) for s, o, v in rows(table)]
    n_s, n_o = table.n_sources, table.n_objects
    z = _majority_start(table, labels)
    z = _hold(z, gold, index)  # the rate b is set from the held start
    per_item = [0] * n_o
    n_j = [0] * n_s
    for s, o, _ in data:
        per_item[o] += 1
        n_j[s] += 1
    corr = 4.0 * (1.0 - 1.0 / k) if prior_correction else 1.0
    a, lam = precision_prior, item_prior
    b = [
        max(
            a * sum(per_item[o] * z[o][c] * (1 - z[o][c]) for o in range(n_o)) / len(data) * corr,
            1e-9 * a,
        )
        for c in range(k)
    ]
    for _ in range(n_iter):
        mu = [sum(z[o][c] for o in range(n_o)) / n_o for c in range(k)]
        ss = [[0.0] * k for _ in range(n_s)]
        for s, o, lab in data:
            for c in range(k):
                ss[s][c] += (z[o][c] - (1.0 if lab == c else 0.0)) ** 2
        v = [[(a + n_j[s]) / (b[c] + ss[s][c]) for c in range(k)] for s in range(n_s)]
        num = {o: [lam * mu[c] for c in range(k)] for o in range(n_o)}
        den = {o: [lam] * k for o in range(n_o)}
        for s, o, lab in data:
            for c in range(k):
                den[o][c] += v[s][c]
            num[o][lab] += v[s][lab]
        z = _hold({o: [num[o][c] / den[o][c] for c in range(k)] for o in range(n_o)}, gold, index)
    cl = claims(table)
    prob = [0.0] * len(cl)
    by_object: dict[int, list[int]] = {}
    for c, (o, _) in enumerate(cl):
        by_object.setdefault(o, []).append(c)
    for o, cs in by_object.items():
        total = sum(z[o][index[cl[c][1]]] for c in cs)
        for c in cs:
            prob[c] = z[o][index[cl[c][1]]] / total if total > 0 else 1.0 / len(cs)
    rel_sum = [0.0] * n_s
    cl_index = {c: i for i, c in enumerate(cl)}
    for s, o, v in rows(table):
        rel_sum[s] += prob[cl_index[(o, v)]]
    rel = [rel_sum[s] / n_j[s] if n_j[s] else 0.0 for s in range(n_s)]
    return prob, _best_values(table, prob), rel


# -- per-object candidate sets (one-coin and GLAD on open-ended values) --------


def candidate_model(
    table: Table,
    n_iter: int,
    kind: str = "one-coin",
    smoothing: float = 0.01,
    alpha_mean: float = 1.0,
    log_beta_mean: float = 0.0,
    prior_precision: float = 1.0,
    max_step: float = 1.0,
) -> Result:
    """One-coin or GLAD with each object's candidates its observed values (and
    one value nobody gave when only one was): a wrong answer picks each other
    candidate with probability 1 / (K_o - 1), K_o = max(m_o, 2)."""
    data = rows(table)
    n_src, n_obj = table.n_sources, table.n_objects
    values: dict[int, list[Any]] = {}
    for _, o, v in data:
        if v not in values.setdefault(o, []):
            values[o].append(v)
    unseen = object()  # the value nobody gave
    cands = {o: vs + ([unseen] if len(vs) == 1 else []) for o, vs in values.items()}
    acc = [0.5] * n_src
    alpha = [alpha_mean] * n_src
    b = [log_beta_mean] * n_obj

    def right_wrong(s: int, o: int) -> tuple[float, float]:
        if kind == "one-coin":
            return math.log(acc[s]), math.log(1 - acc[s])
        x = alpha[s] * math.exp(b[o])
        return log_sigmoid(x), log_sigmoid(-x)

    def posterior() -> dict[int, dict[Any, float]]:
        out = {}
        for o, cs in cands.items():
            score = []
            for t in cs:
                total = 0.0
                for s, o2, v in data:
                    if o2 == o:
                        r, w = right_wrong(s, o)
                        total += r if v == t else w - math.log(len(cs) - 1)
                score.append(total)
            out[o] = dict(zip(range(len(cs)), softmax(score)))
        return out

    def q_of(post: dict[int, dict[Any, float]]) -> list[float]:
        return [post[o][cands[o].index(v)] for s, o, v in data]

    for it in range(n_iter):
        if kind == "one-coin":
            if it == 0:  # majority-vote shares
                q = [
                    sum(1 for _, o2, v2 in data if o2 == o and v2 == v)
                    / sum(1 for _, o2, _ in data if o2 == o)
                    for s, o, v in data
                ]
            else:
                q = q_of(posterior())
            for s in range(n_src):
                mine = [qa for (s2, _, _), qa in zip(data, q) if s2 == s]
                acc[s] = (sum(mine) + smoothing) / (len(mine) + 2 * smoothing)
        else:
            q = q_of(posterior())
            alpha, b = _glad_step(
                data, q, alpha, b, alpha_mean, log_beta_mean, prior_precision, max_step
            )
    post = posterior()
    prob = [0.0] * table.n_claims
    for c, (o, v) in enumerate(claims(table)):
        observed = [post[o][k] for k, t in enumerate(cands[o]) if t is not unseen]
        prob[c] = post[o][cands[o].index(v)] / sum(observed)
    reliability = acc if kind == "one-coin" else [math.exp(log_sigmoid(a)) for a in alpha]
    return prob, _best_values(table, prob), reliability
