"""The default rubrics of domain section 4: Preset B (seed funding) and Preset A (hack day).

Each preset is copied into an event when it is created; the event's copy is then the
organiser's to edit until judging starts.
"""

import enum
from dataclasses import dataclass

LEVEL_LABELS = {5: "Outstanding", 4: "Strong", 3: "Adequate", 2: "Weak", 1: "Poor"}


@dataclass(frozen=True)
class CriterionPreset:
    code: str
    name: str
    question: str
    weight: int
    descriptors: dict[int, str]
    tie_break_rank: int | None = None


@dataclass(frozen=True)
class RubricPreset:
    key: str
    name: str
    scale_min: int
    scale_max: int
    criteria: tuple[CriterionPreset, ...]


PRESET_B = RubricPreset(
    key="B",
    name='Preset B: "Pitch-to-fund"',
    scale_min=1,
    scale_max=5,
    criteria=(
        CriterionPreset(
            "C1",
            "Problem & insight",
            "Real, important, grounded in lived or frontline experience?",
            15,
            {
                5: "Problem clearly stated from the resident/patient/carer/staff view; "
                "backed by local data (counts, incidents, admissions) and first-hand "
                "testimony; explains why existing fixes fall short",
                4: "Clear problem with either good local data or strong testimony; little "
                "analysis of existing solutions",
                3: "Plausible problem, mainly from the team's view; evidence anecdotal or "
                "borrowed from elsewhere",
                2: 'Vague or very broad ("improve care homes"); little sign it is felt '
                "locally",
                1: "No clear problem, or a solution looking for one",
            },
        ),
        CriterionPreset(
            "C2",
            "Benefit to patients/residents, carers & staff",
            "Who benefits, how much, how soon?",
            20,
            {
                5: "Specific beneficiaries and numbers; credible, meaningful outcome change "
                "(harm, admissions, experience, staff time) with a realistic estimate; "
                "benefit starts within the funded period",
                4: "Clear beneficiaries and outcome; estimate plausible but partly assumed",
                3: "Benefit plausible but unquantified or indirect (mostly process)",
                2: "Small or uncertain benefit, or mainly benefits the organisation or team",
                1: "No credible benefit, or risk of net harm",
            },
            tie_break_rank=1,
        ),
        CriterionPreset(
            "C3",
            "Equity, inclusion & safety",
            "Reaches those most often missed; accessible; risks managed?",
            15,
            {
                5: "Names who could be excluded (e.g. dementia, sensory loss, learning "
                "disability, limited English, digitally excluded, Core20PLUS groups) and "
                "designs for them; clinical and data risks identified with concrete "
                "mitigations (no identifiable data in pilot, DPIA planned, clinical-safety "
                "review if it affects clinical decisions)",
                4: "Considers inclusion and main risks; mitigations partly developed",
                3: "Generic mention of inclusion/safety; no specific mitigation",
                2: "Likely to widen inequality (e.g. app-only for a low-digital population) "
                "or overlooks an obvious risk",
                1: "Unsafe, unlawful data use, or excludes key groups",
            },
        ),
        CriterionPreset(
            "C4",
            'Feasibility & delivery plan ("viability")',
            "Can this team deliver it with this money in this time?",
            20,
            {
                5: "Something demonstrated or tested with users; named lead and sponsor; "
                "realistic milestones with the first PDSA cycle defined; dependencies (IT, "
                "estates, procurement, IG, pharmacy) identified and agreed; measures with "
                "baseline",
                4: "Credible plan; some dependencies unconfirmed; measures defined, "
                "baseline pending",
                3: "Outline plan; optimistic timescales; measurement vague",
                2: "Major unresolved dependency (EPR integration, procurement, new posts); "
                "no measurement plan",
                1: "Not deliverable as described",
            },
            tie_break_rank=2,
        ),
        CriterionPreset(
            "C5",
            "Value for money & sustainability",
            "Are the costs right, and will it last after the pilot?",
            15,
            {
                5: "Itemised, realistic costs (quotes for larger items); ask proportionate "
                "to benefit; recurrent costs identified and owned by a named budget (or "
                "none); time- or cash-releasing case; plan to continue after the pilot",
                4: "Costs realistic; sustainability plausible but not yet agreed",
                3: "Rough costs; unclear who pays after funding ends",
                2: "Costs look wrong; significant unfunded recurrent cost",
                1: "Poor value, or should come from existing budgets",
            },
        ),
        CriterionPreset(
            "C6",
            "Innovation & spread",
            "New here? Could it work elsewhere?",
            10,
            {
                5: "New for this setting (or smart reuse of a proven idea) with a plan to "
                "share and spread across homes/PCN/ICS; low adaptation needed",
                4: "New locally; spread plausible",
                3: "Incremental; spread not considered",
                2: "Duplicates something already available locally",
                1: "No novelty; not transferable",
            },
        ),
        CriterionPreset(
            "C7",
            "Team & co-production",
            "Multidisciplinary, with lived experience shaping the idea?",
            5,
            {
                5: "Multidisciplinary, with lived-experience members and frontline staff "
                "who shaped the idea; balanced voices in the pitch; honest about limits",
                4: "Multidisciplinary; lived experience consulted but not core",
                3: "Mostly one profession; some user input",
                2: "Little user involvement",
                1: "Not co-produced; key skills missing",
            },
        ),
    ),
)

# Domain 4.3 gives Preset A's criteria and weights; the level descriptors below are written
# from the NHS Hack Day criteria it mirrors, on the same 1-5 scale as Preset B.
PRESET_A = RubricPreset(
    key="A",
    name='Preset A: "Hackathon final"',
    scale_min=1,
    scale_max=5,
    criteria=(
        CriterionPreset(
            "C1",
            "Problem & insight",
            "Is the problem real, and does the team understand who has it and why?",
            20,
            {
                5: "Problem told from the people who have it, with local evidence and a "
                "clear account of why existing solutions fall short",
                4: "Clear problem with some evidence; little analysis of what exists",
                3: "Plausible problem, mostly from the team's point of view",
                2: "Vague or very broad problem",
                1: "No clear problem, or a solution looking for one",
            },
        ),
        CriterionPreset(
            "C2",
            "Impact & inclusion",
            "How many benefit, are underserved groups reached, are safety risks handled?",
            25,
            {
                5: "Large, credible benefit that reaches underserved groups; safety risks "
                "identified and handled",
                4: "Clear benefit; inclusion and safety considered",
                3: "Some benefit; inclusion or safety only mentioned",
                2: "Small or uncertain benefit, or an obvious risk overlooked",
                1: "No credible benefit, or risk of harm",
            },
            tie_break_rank=1,
        ),
        CriterionPreset(
            "C3",
            "Approach & learning",
            "User research, prior art, ethical use of data and AI?",
            15,
            {
                5: "Talked to users, learned from prior art, used data and AI ethically, "
                "and changed course on what they learned",
                4: "Good user input and awareness of prior art",
                3: "Some user input; prior art barely considered",
                2: "Little user input; ethical questions ignored",
                1: "No user input; unethical or unsafe use of data",
            },
        ),
        CriterionPreset(
            "C4",
            "Prototype & feasibility",
            "Does something usable exist, with a realistic path to a pilot?",
            25,
            {
                5: "Working demo built at the event, with a realistic path to pilots, "
                "partners and regulation",
                4: "Working prototype; path to a pilot partly worked out",
                3: "Partial prototype or clickable sketch; path vague",
                2: "Slides and ideas only; major blockers unaddressed",
                1: "Nothing usable, or not deliverable",
            },
            tie_break_rank=2,
        ),
        CriterionPreset(
            "C5",
            "Teamwork & clarity",
            "Multidisciplinary, honest about limits, balanced voices, credit shared?",
            15,
            {
                5: "Multidisciplinary team with balanced voices, clear pitch, honest about "
                "limits, credit shared",
                4: "Mixed team and a clear pitch",
                3: "Mostly one discipline; pitch understandable",
                2: "One voice dominates; pitch unclear",
                1: "Key skills missing; pitch confusing",
            },
        ),
    ),
)

PRESETS = {p.key: p for p in (PRESET_B, PRESET_A)}
DEFAULT_PRESET = "B"


class AggregationMethod(enum.Enum):
    """How a pitch's judges' weighted scores are combined into its score (domain 4.4
    rule 7); the rules are in judging/methods.py. Declared with the rubric and locked
    with it once judging starts."""

    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"
    Z_SCORE = "z_score"

    @property
    def label(self) -> str:
        return {
            "mean": "Mean of weighted scores",
            "median": "Median of weighted scores",
            "trimmed_mean": "Trimmed mean (5 or more judges)",
            "z_score": "Standardised per judge (z-scores)",
        }[self.value]

    @property
    def short(self) -> str:
        """A column heading."""
        return {
            "mean": "Mean",
            "median": "Median",
            "trimmed_mean": "Trimmed mean",
            "z_score": "Z-scores",
        }[self.value]

    @property
    def hint(self) -> str:
        return {
            "mean": "The default. Every counted judge weighs the same.",
            "median": "The middle judge's score: one outlying judge cannot move it.",
            "trimmed_mean": "Drops the highest and lowest score when a pitch has 5 or "
            "more judges; otherwise the mean.",
            "z_score": "Evens out lenient and harsh judges. Use it when judges score "
            "different pitches (split mode).",
        }[self.value]
