"""The words of a report, in every language it is written in: ONE message catalog, keyed by message id.

Each message is a ``str.format`` template of report prose (paragraphs, ``**bold**``, ``code`` in backticks,
``$…$`` math; see :mod:`symderiv.report.render`). Inline math that is an expression of the derivation is a
placeholder, filled in with what the notes' printer printed (``{w_uv}``, ``{G}``); only index names and case
labels (``$i$``, ``$v = y_i$``) are written here. A literal brace is doubled (``{{``), as ``str.format`` wants.
The math of a report does not depend on its language: only the words around it do. Words that belong to one
loss (its title, intro, gradient words) are that loss's own (:class:`symderiv.losses.LossWords`).

>>> m = messages("zh")
>>> m("section.derivation")
'推导'
>>> messages("en")("subtitle.layout", layout="XW")
'layout $XW$'
"""

from __future__ import annotations

from ..errors import InputError

#: the languages a report can be written in; the first is the default
LANGS = ("en", "zh")

_EN: dict[str, str] = {
    # ---------------------------------------------------------------- the document around the sections
    "html.lang": "en",
    "title.sub": "the gradient, derived and proved",
    "title.sub.md": "The gradient, derived and proved — {subtitle}.",
    "section.proof": "What was proven, and how",
    "table.claim": "claim",
    "table.covers": "covers",
    "table.failed": "FAILED",
    "table.aside": " ({detail})",
    "table.note.tex": r"$^\dagger$ checked while building this report; $^\ddagger$ proven at symbolic size "
    r"(\texttt{{symderiv derive --generic}}); the others are the proof of \texttt{{symderiv derive}} at the size "
    "above.",
    "table.note": "† checked while building this report; ‡ proven at symbolic size (`symderiv derive --generic`); "
    "the others are the proof of `symderiv derive` at the size above.",
    "table.note.html": "† checked while building this report; ‡ proven at symbolic size "
    "(<code>symderiv derive --generic</code>); the others are the proof of <code>symderiv derive</code> "
    "at the size above.",
    "footer": "Math typeset by KaTeX, served from this page's folder.",
    "figure.alt": "{title}: loss and derivative against the margin",
    "figure.missing": "figure file {name} not found next to this .tex",
    "list.sep": ", ",
    "list.and": "{head} and {last}",
    # ---------------------------------------------------------------- the figure
    "figure.caption": "One sample with two classes, as a function of the score difference $t = s_j - s_{{y_i}}$ "
    "({where}): the loss $L_i$ (solid) and its derivative $\\partial L_i/\\partial s_j$ (dashed).",
    "figure.caption.kink": " The dotted line marks where the margin $s_j - s_{{y_i}} + \\Delta$ is zero.",
    "figure.where.delta": "$\\Delta = {delta}$",
    "figure.where.symbolic": "; the derivation keeps $\\Delta$ symbolic",
    "figure.where.two": "two classes",
    "figure.where.hyper": "; ${symbol} = {value}$",
    "figure.kink": r"margin zero: $s_j - s_{{y_i}} = -\Delta$",
    # ---------------------------------------------------------------- subtitle
    "subtitle.layout": "layout ${layout}$",
    "subtitle.bias": "bias trick",
    "subtitle.nobias": "no bias",
    "subtitle.reg": "$R = {R}$",
    "subtitle.noreg": "no regularizer",
    "subtitle.mean": "mean over samples",
    "subtitle.sum": "sum over samples",
    "subtitle.delta.symbolic": r"$\Delta$ symbolic",
    "subtitle.delta": "$\\Delta = {delta}$",
    "subtitle.symbolic": "${symbol}$ symbolic",
    # ---------------------------------------------------------------- 1. the loss
    "section.loss": "The loss",
    "symbols": "Here $i$ indexes the $N$ samples, $j$, $k$ and $q$ the $C$ classes, $l$ and $u$ the features; "
    "{vectors}; $y_i$ is the label of sample $i${margin}; {avg}, and {reg}.",
    "symbols.margin": ", $\\Delta > 0$ is the margin",
    "symbols.mean": "the data loss is the mean over the $N$ samples",
    "symbols.sum": "the data loss is the sum over the $N$ samples",
    "symbols.reg": "$R(W)$ penalises large weights",
    "symbols.noreg": "there is no regularizer, $R(W) = 0$",
    "vectors.XW": "$x_i$ is row $i$ of $X$, $w_j$ is column $j$ of $W$",
    "vectors.WX": "$x_i$ is column $i$ of $X$, $w_j$ is row $j$ of $W$",
    # ---------------------------------------------------------------- 2. conventions
    "section.conventions": "Conventions",
    "conv.layout": "**Layout {layout}:** ${shapes},\\quad {scores}$; {vectors}.",
    "conv.bias": "**Bias trick:** every $x_i$ gets a constant feature $1$ appended, so there are $D+1$ "
    "features (the shapes above count it) and the last {where} of $W$ holds the biases; nothing else "
    "changes, and the bias gradient is the case $u = D$ of the formulas below.",
    "conv.bias.XW": "row",
    "conv.bias.WX": "column",
    "conv.nobias": "**No bias trick:** the scores are ${scores}$ alone.",
    "conv.reg": "**Regularizer:** $R(W) = {R}$; its derivative is step 3's.",
    "conv.noreg": "**Regularizer:** none, $R(W) = 0$.",
    "conv.mean": "**Averaging:** the mean, $\\frac{{1}}{{N}}\\sum_i L_i$: every gradient term carries $\\frac1N$.",
    "conv.sum": "**Averaging:** the sum, $\\sum_i L_i$: no $\\frac1N$.",
    "conv.delta.symbolic": "**Margin:** $\\Delta$ is kept as a symbol; any $\\Delta > 0$ gives the same formulas.",
    "conv.delta": "**Margin:** $\\Delta = {delta}$.",
    "conv.hyper": "**Hyperparameter ${symbol}$** ({words}): {value}.",
    "conv.hyper.value": "${symbol} = {value}$",
    "conv.hyper.symbolic": "${symbol}$ is kept as a symbol (NumPy code uses ${symbol} = {default}$ unless told "
    "otherwise)",
    "conv.smooth": "**At a kink:** the loss is differentiable everywhere: no indicator appears in its gradient "
    "(step 1), so the convention ${ind}[0] = {k}$ never enters it.",
    "conv.kink.0": "as in the notes' ${ind}[m > 0]$",
    "conv.kink.1": "as in an implementation that tests $m \\ge 0$",
    "conv.kink.half": "as SymPy's $\\operatorname{{Heaviside}}(0)$",
    "conv.kink.with": ", {words}",
    "conv.kink": "**At a kink:** $\\max(0, m)$ has no derivative at $m = 0$. The report writes "
    "${ind}[m > 0]$ for its derivative and takes ${ind}[0] = {k}${words}. This does not matter for a "
    "subgradient: at $m = 0$ the subdifferential of $\\max(0, m)$ is the whole interval $[0, 1]$, so every value "
    "of ${ind}[0]$ in $[0, 1]$ gives a valid subgradient, and random data hits a margin of exactly zero with "
    "probability zero.",
    "conv.nokinks": "**Kinks:** none; the loss is smooth, so no indicator convention is needed.",
    # ---------------------------------------------------------------- 3. derivation
    "section.derivation": "Derivation",
    "step1": "**Step 1: the per-sample loss in its scores.** Fix a sample $i$. ",
    "step1.default": "Differentiating $L_i$ in each score gives, by cases:",
    "step2": "**Step 2: the scores in the weights.** Each score is linear in the weights, and only the "
    "scores of class $v$ contain ${w_uv}$:",
    "step3": "**Step 3: the chain rule.** Summing over the samples and their scores, only $q = v$ survives",
    "step3.reg": ", and the regularizer contributes its own derivative:",
    "step3.noreg": ":",
    "step4": "**Step 4: the cases $v \\ne y_i$ and $v = y_i$.** One sample's contribution to ${w_uv}$:",
    "step5": "**Step 5: the matrix form.** Collect $\\partial L_i/\\partial s_{{ij}}$ in the $N \\times C$ matrix "
    "${G}$ (row $i$, column $j$); the chain rule for all entries at once is one product:",
    "matrix.words": "The result has the shape of $W$, ${W_space}$. Row $i$ of ${G}$ is "
    "$\\partial L_i/\\partial s_{{ij}}$ from step 1, so the boxed product is steps 2–4 for all samples at once.",
    # ---------------------------------------------------------------- 4. index notation
    "section.index": "The same derivation in index notation",
    "index.intro": "symderiv also derives the gradient at symbolic size, with $N$, $C$, $D$ and the labels left as "
    "symbols, in index notation (a Kronecker delta is written ${delta}$). "
    "Its steps, each covered by a claim proven at that size (marked ‡ in the evidence below):",
    "index.step": "**{title}.**{why}",
    # a step's own words (from the derivation) in English; other languages translate them by step
    "index.raw.title": "{title}",
    "index.raw.why": "{why}",
    "index.delta.title": "{title}",
    "index.delta.why": "{why}",
    "index.closed.title": "{title}",
    "index.closed.why": "{why}",
    "index.scores.title": "{title}",
    "index.scores.why": "{why}",
    "index.chain.title": "{title}",
    "index.chain.why": "{why}",
    "index.cases.title": "{title}",
    "index.cases.why": "{why}",
    "index.reg.title": "{title}",
    "index.reg.why": "{why}",
    "index.full.title": "{title}",
    "index.full.why": "{why}",
    "index.bias.title": "{title}",
    "index.bias.why": "{why}",
    "index.matrix.title": "{title}",
    "index.matrix.why": "{why}",
    # ---------------------------------------------------------------- 5. concrete size
    "section.concrete": "The derivation at a concrete size",
    "concrete.intro": "symderiv built $L$ at $D = {D}$, $C = {C}$, $N = {N}$ with labels $y = ({labels})$ "
    "(samples and classes counted from 1, as in the notes) and differentiated it with SymPy. For sample ${i}$ "
    "(label $y_{i} = {yi}$), whose scores we write $s_1, \\dots, s_{{{C}}}$ and whose loss is ${first}$, the "
    "derivatives in its scores, exactly as derived and simplified:",
    "concrete.after": "They are the cases of step 1 with $j$ and $y_i$ filled in; the same holds for every "
    "sample and every label pattern (see the evidence below).",
    # ---------------------------------------------------------------- the notes' other derivations
    "derivation.sample.title": "The gradient of one sample",
    "derivation.sample.partials": "The notes often write the gradient of one sample as the matrix of its partial "
    "derivatives, in the shape of $W$. For sample ${i}$ of the concrete derivation (label $y_{i} = {label}$), the "
    "entry of ${weight}$ is ${entry}$:",
    "derivation.sample.names": "Here {names}.",
    "derivation.sample.outer": "So the whole matrix is one outer product: the features of the sample ({bias}) "
    "times its derivatives in the scores, collected in {g} (row $i$ of ${G}$, as a column). Summed over the "
    "samples, it is the boxed matrix form:",
    "derivation.sample.bias": "with the constant $1$ last",
    "derivation.sample.nobias": "a column",
    "derivation.sample.shapes": "Here {shapes}.",
    "derivation.margin.title": "The route through the margins",
    "derivation.margin.intro": "The same gradient, computed through the margins, as vectorized code does: "
    "$\\partial L_{i}/\\partial m$, times $\\partial m/\\partial s$, times $\\partial s/\\partial W$. For "
    "sample ${i}$ (label $y_{i} = {label}$), with the margins {margins}:",
    "derivation.margin.after": "Then ${chain}$ (step 2); the product was proven equal to the direct derivative "
    "for every sample and weight.",
    "derivation.shift.title": "Numerical stability: the max shift",
    "derivation.shift.intro": "Stable code subtracts from every score of sample $i$ the same number ${c}$, the "
    "largest score, so that no exponential overflows. The loss does not change, whatever ${c}$ is:",
    "derivation.shift.why": "The shift must go into the numerator and into every term of the denominator: "
    "${law}$, and the factor ${factor}$ cancels:",
    "derivation.shift.miss": "Shifting only the numerator leaves the factor in place:",
    "derivation.shift.counter": "which is not {ratio} unless ${c} = 0$. At the scores $({scores})$, class {cls}, "
    "{ratio} is {want}; the numerator-only shift by ${c} = {top}$ gives {got}, and shifting every term of the "
    "denominator but the first gives {partial}.",
    "atom.max-over-classes": "max over classes",
    "list.enum": ", ",
    # ---------------------------------------------------------------- evidence
    "proof.intro": "symderiv built the loss at $D = {D}$, $C = {C}$, $N = {N}$ with {symbols} kept as "
    "symbols, and proved each claim below {patterns}. **Symbolic** claims are identities: both "
    "sides are brought to a normal form (polynomials in {atoms}, every score written out as ${score_sum}$) "
    "and compared term by term. **Rational** evaluation substitutes random fractions for every symbol "
    "and compares exact values. **Floating point** runs the NumPy gradient generated from the "
    "derivation against the loss's hand-written NumPy reference. The last column lists the numbered "
    "equations each claim covers; the unnumbered equations are the definitions the derivation starts "
    "from.",
    "proof.atom": "the atom {atoms}",
    "proof.atoms": "the atoms {atoms}",
    "proof.symbols": "$X$, $W$, $\\lambda$",
    "proof.symbols.delta": "$X$, $W$, $\\lambda$ and $\\Delta$",
    "proof.patterns.all": "for every one of the ${C}^{N} = {count}$ label patterns $y \\in \\{{{labels}\\}}^{{{N}}}$",
    "proof.patterns.one": "for the labels $y = ({labels})$",
    # ---------------------------------------------------------------- 6./7. code
    "section.code": "Generated NumPy code",
    "code.intro": "The vectorized loss and gradient `symderiv.vectorize` generated from the same closed "
    "form at symbolic size; it was run against the derived gradient (see the evidence above):",
    "section.implementation": "Your implementation",
    "impl.latexify": "The implementation `{name}`{where}, rendered as mathematics by latexify-py:",
    "impl.source": "Its source:",
    "impl.verbatim": "The implementation `{name}`{where}, listed verbatim: latexify-py would not render it "
    "faithfully ({why}).",
    "impl.check": "The result of `symderiv check` on it:",
}

_ZH: dict[str, str] = {
    "html.lang": "zh-CN",
    "title.sub": "梯度的推导与证明",
    "title.sub.md": "梯度的推导与证明——{subtitle}。",
    "section.proof": "证明了什么，如何证明",
    "table.claim": "命题",
    "table.covers": "涉及公式",
    "table.failed": "未通过",
    "table.aside": "（{detail}）",
    "table.note.tex": r"$^\dagger$ 生成本报告时检验；"
    r"$^\ddagger$ 在符号规模下证明（\texttt{{symderiv derive --generic}}）；"
    r"其余为 \texttt{{symderiv derive}} 在上述规模下的证明。",
    "table.note": "† 生成本报告时检验；‡ 在符号规模下证明（`symderiv derive --generic`）；"
    "其余为 `symderiv derive` 在上述规模下的证明。",
    "table.note.html": "† 生成本报告时检验；‡ 在符号规模下证明（<code>symderiv derive --generic</code>）；"
    "其余为 <code>symderiv derive</code> 在上述规模下的证明。",
    "footer": "公式由 KaTeX 排版，KaTeX 文件与本页面位于同一文件夹。",
    "figure.alt": "{title}：损失及其导数随间隔的变化",
    "figure.missing": "在此 .tex 文件旁找不到图片文件 {name}",
    "list.sep": "，",
    "list.and": "{head}和{last}",
    "figure.caption": "两个类别时单个样本的情形，横轴为得分差 $t = s_j - s_{{y_i}}$（{where}）："
    "实线为损失 $L_i$，虚线为其导数 $\\partial L_i/\\partial s_j$。",
    "figure.caption.kink": "点线标出间隔 $s_j - s_{{y_i}} + \\Delta$ 为零的位置。",
    "figure.where.delta": "$\\Delta = {delta}$",
    "figure.where.symbolic": "；推导中 $\\Delta$ 保持为符号",
    "figure.where.two": "两个类别",
    "figure.where.hyper": "；${symbol} = {value}$",
    "figure.kink": "间隔为零",
    "subtitle.layout": "布局 ${layout}$",
    "subtitle.bias": "使用偏置技巧",
    "subtitle.nobias": "无偏置",
    "subtitle.reg": "$R = {R}$",
    "subtitle.noreg": "无正则化",
    "subtitle.mean": "对样本取平均",
    "subtitle.sum": "对样本求和",
    "subtitle.delta.symbolic": r"$\Delta$ 为符号",
    "subtitle.delta": "$\\Delta = {delta}$",
    "subtitle.symbolic": "${symbol}$ 为符号",
    "section.loss": "损失函数",
    "symbols": "其中 $i$ 为样本编号（共 $N$ 个样本），$j$、$k$、$q$ 为类别编号（共 $C$ 个类别），$l$、$u$ 为特征编号；"
    "{vectors}；$y_i$ 是样本 $i$ 的正确类别标签{margin}；{avg}，{reg}。",
    "symbols.margin": "，$\\Delta > 0$ 是间隔",
    "symbols.mean": "数据损失是 $N$ 个样本损失的平均值",
    "symbols.sum": "数据损失是 $N$ 个样本损失之和",
    "symbols.reg": "正则化项 $R(W)$ 惩罚较大的权重",
    "symbols.noreg": "不加正则化，$R(W) = 0$",
    "vectors.XW": "$x_i$ 是 $X$ 的第 $i$ 行，$w_j$ 是 $W$ 的第 $j$ 列",
    "vectors.WX": "$x_i$ 是 $X$ 的第 $i$ 列，$w_j$ 是 $W$ 的第 $j$ 行",
    "section.conventions": "约定",
    "conv.layout": "**布局 {layout}**：${shapes},\\quad {scores}$；{vectors}。",
    "conv.bias": "**偏置技巧**：每个 $x_i$ 末尾追加一个恒为 $1$ 的特征，因此共有 $D+1$ 个特征（上面的形状已计入），"
    "$W$ 的最后一{where}存放偏置；其余不变，偏置的梯度就是下面公式中 $u = D$ 的情形。",
    "conv.bias.XW": "行",
    "conv.bias.WX": "列",
    "conv.nobias": "**不使用偏置技巧**：得分仅为 ${scores}$。",
    "conv.reg": "**正则化**：$R(W) = {R}$，其导数见第 3 步。",
    "conv.noreg": "**正则化**：无，$R(W) = 0$。",
    "conv.mean": "**汇总方式**：取平均 $\\frac{{1}}{{N}}\\sum_i L_i$，梯度的每一项都带有因子 $\\frac1N$。",
    "conv.sum": "**汇总方式**：不取平均，而是求和 $\\sum_i L_i$，因此没有因子 $\\frac1N$。",
    "conv.delta.symbolic": "**间隔**：$\\Delta$ 保持为符号；任何 $\\Delta > 0$ 得到的公式都相同。",
    "conv.delta": "**间隔**：$\\Delta = {delta}$。",
    "conv.hyper": "**超参数 ${symbol}$**（{words}）：{value}。",
    "conv.hyper.value": "${symbol} = {value}$",
    "conv.hyper.symbolic": "${symbol}$ 保持为符号（NumPy 代码在未指定时取 ${symbol} = {default}$）",
    "conv.smooth": "**不可导点**：该损失处处可导，其梯度中不出现指示函数（见第 1 步），"
    "因此约定 ${ind}[0] = {k}$ 不起作用。",
    "conv.kink.0": "与笔记中的 ${ind}[m > 0]$ 一致",
    "conv.kink.1": "与检验 $m \\ge 0$ 的实现一致",
    "conv.kink.half": "与 SymPy 的 $\\operatorname{{Heaviside}}(0)$ 一致",
    "conv.kink.with": "，{words}",
    "conv.kink": "**不可导点**：$\\max(0, m)$ 在 $m = 0$ 处不可导。本报告把它的导数写作指示函数 ${ind}[m > 0]$，"
    "并取 ${ind}[0] = {k}${words}。对次梯度而言这无关紧要：在 $m = 0$ 处 $\\max(0, m)$ 的次微分是整个区间 "
    "$[0, 1]$，所以 ${ind}[0]$ 取 $[0, 1]$ 中的任何值都给出合法的次梯度；而随机数据恰好落在间隔为零处的概率为零。",
    "conv.nokinks": "**不可导点**：没有；该损失光滑，无需约定指示函数在零点的取值。",
    "section.derivation": "推导",
    "step1": "**第 1 步：单个样本的损失对得分求导**。固定样本 $i$。",
    "step1.default": "$L_i$ 对每个得分求导，分情况得到：",
    "step2": "**第 2 步：得分对权重求导**。每个得分都是权重的线性函数，而且只有类别 $v$ 的得分含有 ${w_uv}$：",
    "step3": "**第 3 步：链式法则**。对所有样本及其得分求和，只有 $q = v$ 的项保留下来",
    "step3.reg": "，再加上正则化项自身的导数：",
    "step3.noreg": "：",
    "step4": "**第 4 步：分 $v \\ne y_i$ 与 $v = y_i$ 两种情形**。单个样本对 ${w_uv}$ 的梯度贡献为：",
    "step5": "**第 5 步：矩阵形式**。把 $\\partial L_i/\\partial s_{{ij}}$ 排成 $N \\times C$ 的矩阵 ${G}$"
    "（第 $i$ 行、第 $j$ 列），所有元素的链式法则合起来就是一个矩阵乘积：",
    "matrix.words": "结果与 $W$ 形状相同，${W_space}$。${G}$ 的第 $i$ 行就是第 1 步中的 "
    "$\\partial L_i/\\partial s_{{ij}}$，所以方框中的乘积正是对所有样本同时完成第 2–4 步。",
    "section.index": "用指标记号重做一遍推导",
    "index.intro": "symderiv 还在符号规模下推导梯度：$N$、$C$、$D$ 和标签都保持为符号，使用指标记号"
    "（克罗内克函数写作指示函数 ${delta}$）。各步骤都由在该规模下证明的命题覆盖（在下面的证据表中标为 ‡）：",
    "index.step": "**{title}**。{why}",
    "index.raw.title": "SymPy 直接求得的 {dLi_ds}",
    "index.raw.why": "对得分求导时出现克罗内克函数：{w0}。",
    "index.delta.title": "按筛选性质求和之后的 {dLi_ds}",
    "index.delta.why": "利用筛选性质 {w0} 消去求和，并利用指示函数的平方等于其自身（{w1}）化简。",
    "index.closed.title": "{dLi_ds} 的闭式（已证明相等）",
    "index.closed.why": "即笔记中 {w0} 与 {w1} 两种情形。",
    "index.scores.title": "得分对权重求导",
    "index.scores.why": "每个得分都是一个点积。",
    "index.chain.title": "链式法则",
    "index.chain.why": "权重通过样本 $i$ 的各个得分 $s_{{iq}}$ 起作用，对这些得分求和。",
    "index.cases.title": "分 $v \\ne y_i$ 与 $v = y_i$ 两种情形",
    "index.cases.why": "",
    "index.reg.title": "正则化项",
    "index.reg.why": "SymPy 以指标记号对 $R(W)$ 求导。",
    "index.full.title": "完整梯度",
    "index.full.why": "{over}，再加上正则化项的导数。",
    "index.bias.title": "偏置（特征 $u = D$）",
    "index.bias.why": "因为 {why_math}。",
    "index.matrix.title": "矩阵形式",
    "index.matrix.why": "其中 {why_math}。",
    "section.concrete": "具体规模下的推导",
    "concrete.intro": "symderiv 在 $D = {D}$、$C = {C}$、$N = {N}$、标签 $y = ({labels})$ 时构造 $L$"
    "（样本与类别都从 1 开始编号，与笔记一致），并用 SymPy 求导。样本 ${i}$（标签 $y_{i} = {yi}$）的得分记作 "
    "$s_1, \\dots, s_{{{C}}}$，损失为 ${first}$；它对各个得分的导数，与推导化简所得完全一致：",
    "concrete.after": "这正是第 1 步的各情形代入 $j$ 和 $y_i$ 的结果；"
    "对每个样本、每种标签组合都同样成立（见下面的证据）。",
    "derivation.sample.title": "单个样本的梯度",
    "derivation.sample.partials": "笔记里常把单个样本的梯度写成由各个偏导数组成、与 $W$ 形状相同的矩阵。"
    "以具体规模推导中的样本 ${i}$（标签 $y_{i} = {label}$）为例，${weight}$ 处的元素是 ${entry}$：",
    "derivation.sample.names": "其中 {names}。",
    "derivation.sample.outer": "所以整个矩阵就是一个外积：样本的特征向量（{bias}）乘以损失对各个得分的导数，"
    "后者排成列向量 {g}（即 ${G}$ 的第 $i$ 行，写成列）。对所有样本求和，就得到方框中的矩阵形式：",
    "derivation.sample.bias": "列向量，最后一个分量是常数 $1$",
    "derivation.sample.nobias": "列向量",
    "derivation.sample.shapes": "其中 {shapes}。",
    "derivation.margin.title": "经由间隔的推导",
    "derivation.margin.intro": "同一个梯度也可以像向量化代码那样经由间隔来计算："
    "$\\partial L_{i}/\\partial m$ 乘以 $\\partial m/\\partial s$，再乘以 $\\partial s/\\partial W$。"
    "对样本 ${i}$（标签 $y_{i} = {label}$），间隔为 {margins}：",
    "derivation.margin.after": "再由 ${chain}$（第 2 步）得到对权重的梯度；已证明这个乘积对每个样本、每个权重"
    "都等于直接求得的导数。",
    "derivation.shift.title": "数值稳定性：减去最大得分",
    "derivation.shift.intro": "数值稳定的代码把样本 $i$ 的每个得分都减去同一个数 ${c}$（取最大得分），"
    "这样指数运算就不会溢出。无论 ${c}$ 取什么值，损失函数都不变：",
    "derivation.shift.why": "平移必须同时作用于分子和分母的每一项：${law}$，于是因子 ${factor}$ 上下相消：",
    "derivation.shift.miss": "如果只平移分子，这个因子就消不掉：",
    "derivation.shift.counter": "除非 ${c} = 0$，它都不等于 {ratio}。在得分 $({scores})$ 处，类别 {cls} 的 {ratio}"
    "为 {want}；只在分子中减去 ${c} = {top}$ 得到 {got}，而平移分母中除第一项以外的所有项得到 {partial}。",
    "atom.max-over-classes": "对类别取的最大值",
    "list.enum": "、",
    "proof.intro": "symderiv 在 $D = {D}$、$C = {C}$、$N = {N}$ 时构造损失，{symbols}保持为符号，"
    "并{patterns}证明了下列每个命题。**符号**证明是恒等式：两边都化为范式"
    "（关于{atoms}的多项式，每个得分都展开为 ${score_sum}$）后逐项比较。"
    "**有理数**求值把每个符号替换为随机分数，比较精确值。**浮点**检验把由推导生成的 NumPy 梯度与该损失手写的 "
    "NumPy 参考实现相比较。最后一列列出每个命题涉及的带编号公式；不带编号的公式是推导出发的定义。",
    "proof.atom": "原子 {atoms} ",
    "proof.atoms": "原子 {atoms} ",
    "proof.symbols": "$X$、$W$、$\\lambda$ ",
    "proof.symbols.delta": "$X$、$W$、$\\lambda$ 和 $\\Delta$ ",
    "proof.patterns.all": "对全部 ${C}^{N} = {count}$ 种标签组合 $y \\in \\{{{labels}\\}}^{{{N}}}$ ",
    "proof.patterns.one": "对标签 $y = ({labels})$ ",
    "section.code": "生成的 NumPy 代码",
    "code.intro": "`symderiv.vectorize` 由同一个符号规模下的闭式生成的向量化损失与梯度；它已与推导出的梯度对比运行"
    "（见上面的证据）：",
    "section.implementation": "你的实现",
    "impl.latexify": "实现 `{name}`{where}，由 latexify-py 排成数学公式：",
    "impl.source": "源代码：",
    "impl.verbatim": "实现 `{name}`{where}，按原样列出：latexify-py 无法如实排版它（{why}）。",
    "impl.check": "`symderiv check` 对它的检查结果：",
}

#: the claims of the evidence table, each with its words in every language: ``claim.<id>`` (the statement),
#: ``method.<id>`` and ``detail.<id>``. English shows the claim's own words ({statement}, {method}, {detail});
#: another language's template may use the claim's math, in order ({s0}, {s1}, … of the statement, {m0}, … of
#: the method, {s_last} the statement's last) and the numbers of its detail ({d0}, {d1}, …), never typed math.
EVIDENCE_KEYS = (
    "closed-form.score-gradient",
    "derivative.routes-agree",
    "closed-form.per-element",
    "closed-form.matrix-weights",
    "evidence.random-points",
    "artifact.gradient",
    "artifact.closed-form",
    "artifact.matrix-form",
    "artifact.numpy-scores",
    "artifact.shift-invariance",
    "artifact.numpy-gradient",
    "artifact.numpy-loss",
    "artifact.vectorized",
    "report.score-derivative",
    "report.regularizer",
    "report.float-reference",
    "report.vectorized-float",
    "symbolic.score-gradient",
    "symbolic.chain-rule",
    "symbolic.cases",
    "symbolic.regularizer",
    "symbolic.full-gradient",
    "symbolic.matrix-form",
    "symbolic.bias",
    "per-sample.partials",
    "per-sample.outer-product",
    "route.margin",
    "shift.invariance",
    "shift.placement",
    "shift.near-miss",
)
for _key in EVIDENCE_KEYS:
    _EN[f"claim.{_key}"], _EN[f"method.{_key}"], _EN[f"detail.{_key}"] = "{statement}", "{method}", "{detail}"

_SYMBOLIC = "符号证明：关于原子 {atoms} 的多项式恒等式（允许使用命名的改写规则）"
_PATTERNS = "全部 {d0} 种标签组合"
_NORMAL = "符号证明：逐元素比较范式（得分写作 {m0}）"
_GLUE = "符号证明：在范式上运行胶水代码（由关于 {m0}、{m1}、{m2} 的多项式组成的 object 数组）"
_GLUE_DETAIL = "胶水代码（得分、逐行减去最大值、链式法则、正则化）；得分函数的打印代码见 artifact.numpy-scores"
_FLOAT = "浮点（float64），在随机正态分布的 {m0}、{m1}、{m2} 上"
_FLOAT_DETAIL = "{d0} 个点，相对误差不超过 {d1}"
_SIZES = "D={d0}, C={d1}, N={d2}"
_SAMPLES = "全部 {d0} 个样本，$D = {d1}$、$C = {d2}$"
_SHIFT = "符号规模下的符号证明：指数律，把公共的指数因子从 {m0} 和对数中提出，再应用指标规则后比较范式"
_ZH_EVIDENCE = {
    "closed-form.score-gradient": ("{s0} 等于闭式（{s1}、{s2} 两种情形），对每个标签 {s3} 都成立", _SYMBOLIC, ""),
    "derivative.routes-agree": ("经由得分求得的导数与 {s0} 的直接导数逐元素相等", _SYMBOLIC, _PATTERNS),
    "closed-form.per-element": ("{s0} 等于逐元素的闭式（{s1} 与 {s2} 两种情形）", _SYMBOLIC, _PATTERNS),
    "closed-form.matrix-weights": ("{s0} 等于取 {s1} 时的矩阵形式", _SYMBOLIC, _PATTERNS),
    "evidence.random-points": ("直接导数与矩阵形式在随机点上相等", "有理数输入下的精确求值", "{d0} 个点"),
    "artifact.gradient": ("Derivation.gradient（经由得分的链式法则）等于直接导数", _NORMAL, ""),
    "artifact.closed-form": ("推导返回的逐元素闭式（排成 $W$ 的形状）等于直接导数", _NORMAL, ""),
    "artifact.matrix-form": ("推导返回的矩阵形式逐元素等于直接导数", _NORMAL, ""),
    "artifact.numpy-scores": (
        "打印出的 {s0} 与 {s1} 的 NumPy 代码（NumPy 梯度与损失函数的核心）与推导结果相同",
        "符号证明：在 SymPy 符号（object 数组）上执行代码并比较范式（包括打印出的指示函数在不可导点处的取值）",
        "在此规模下全部 {d0}×{d1} 个元素与 {d2} 个损失的代码",
    ),
    "artifact.shift-invariance": (
        "把样本 $i$ 的所有得分平移任意 {s2} 时，{s0} 与 {s1} 不变（NumPy 梯度与损失减去了每行的最大值）",
        "符号证明：把指数因子从求和中提出，再与对数相消",
        "此规模下的每个样本，{s2} 为自由符号",
    ),
    "artifact.numpy-gradient": ("生成的 NumPy 梯度函数算出的正是直接导数", _GLUE, _GLUE_DETAIL),
    "artifact.numpy-loss": ("生成的 NumPy 损失函数算出的正是 {s0}", _GLUE, _GLUE_DETAIL),
    "artifact.vectorized": (
        "向量化的 NumPy 函数（symderiv codegen）算出的正是 {s0} 及其直接导数",
        "符号证明：在 SymPy 符号（object 数组）上执行代码并比较范式",
        "在此规模与标签下",
    ),
    "report.score-derivative": (
        "对每个样本 {s1}、类别 {s2}、特征 {s3} 与类别 {s4}，都有 {s0}",
        "用 SymPy 对每个得分 {m0} 关于每个权重求导",
        _SIZES,
    ),
    "report.regularizer": ("{s0}，逐元素成立", "用 SymPy 对 {m0} 关于每个权重求导", _SIZES),
    "report.float-reference": ("生成的 NumPy 梯度与该损失手写的 NumPy 参考实现相等", _FLOAT, _FLOAT_DETAIL),
    "report.vectorized-float": ("生成的向量化 NumPy 梯度（代码见下文）与推导出的梯度相等", _FLOAT, _FLOAT_DETAIL),
    "symbolic.score-gradient": (
        "{s0}（SymPy 对指标表达式求导，再应用规则）等于闭式",
        "符号证明：应用求和的线性性、按筛选性质求和与 {m0} 后比较范式",
        "",
    ),
    "symbolic.chain-rule": ("{s0}，因此 {s1}（链式法则与按筛选性质求和）", "符号证明：指标规则", ""),
    "symbolic.cases": ("{s0} 与 {s1} 两种情形合起来就是 {s2}", "符号证明：按 {m0} 分情形", ""),
    "symbolic.regularizer": ("正则化项的导数：{s0}", "符号证明：两次按筛选性质求和", ""),
    "symbolic.full-gradient": (
        "对整个损失求得的 {s0}（SymPy 对得分和 $W$ 求导，再按链式法则求和）等于完整梯度",
        "符号证明：应用指标规则后比较范式",
        "",
    ),
    "symbolic.matrix-form": (
        "矩阵形式：该矩阵表达式的第 $(u, v)$ 个元素等于 {s_last}",
        "符号证明：取 SymPy 矩阵表达式的元素，应用指标规则后比较范式",
        "",
    ),
    "symbolic.bias": (
        "偏置技巧：取 $x_{{iD}} = 1$，偏置 {s1} 的梯度是 {s2} 的列和（再加上 {s3}）",
        "符号证明：完整梯度在 {m0} 处的取值",
        "",
    ),
}
_ZH_EVIDENCE |= {
    "per-sample.partials": (
        "由 {s0} 组成的矩阵（第 ({s1}, {s2}) 个元素为 {s3} 乘以 {s4} 的闭式）等于 SymPy 对 {s5} 关于每个权重求得的导数",
        _NORMAL,
        _SAMPLES,
    ),
    "per-sample.outer-product": (
        "{s0} 是外积 {s1}；各样本的 {s0} 按 {s2} 的方式汇总（求和或取平均），再加上 {s3}，就是 {s4}",
        _NORMAL,
        _SAMPLES + "；与 SymPy 对每个样本的损失及总损失求得的导数比较",
    ),
    "route.margin": (
        "经由间隔求得的 {s0} 等于 SymPy 对 {s1} 关于每个权重求得的导数；用间隔写出的 {s2} 就是 {s3}",
        _NORMAL,
        _SAMPLES,
    ),
    "shift.invariance": (
        "把每个得分 {s1} 都减去同一个数 {s3}，{s0} 不变：对任意 {s3} 成立，因此减去最大得分时也成立",
        _SHIFT,
        "任意 $C$；另在 $C = {d0}$、{s3} 取最大得分时，在随机有理数得分处精确到 {d1} 位有效数字",
    ),
    "shift.placement": ("平移同时放进分子和分母的每一项时，比值不变：因子 {s0} 上下相消", _SHIFT, "任意 $C$"),
    "shift.near-miss": (
        "只平移分子，比值就乘上了 {s0}；只平移分子、或只平移分母的部分项，都不等于原来的比值（由反例否定）",
        _SHIFT + "；反例由高精度的精确求值否定",
        "反例：$C = {d0}$，得分 $({d1}, {d2}, {d3})$，平移量取最大值 {d4}",
    ),
}
for _key, (_claim, _method, _detail) in _ZH_EVIDENCE.items():
    _ZH[f"claim.{_key}"], _ZH[f"method.{_key}"], _ZH[f"detail.{_key}"] = _claim, _method, _detail

#: message id → template, per language
CATALOG: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def check_lang(lang: str) -> str:
    """``lang`` if a report can be written in it; :class:`~symderiv.errors.InputError` (one line) otherwise."""
    if lang not in CATALOG:
        raise InputError(f"unknown report language {lang!r}: choose from {', '.join(LANGS)}")
    return lang


class Messages:
    """The catalog of one language: ``m(key, **values)`` is that message with its placeholders filled."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)
        self._table = CATALOG[lang]

    def __call__(self, key: str, **values: object) -> str:
        return self._table[key].format(**values)


def messages(lang: str = "en") -> Messages:
    """The messages of ``lang`` ("en" or "zh")."""
    return Messages(lang)
