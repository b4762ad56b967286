"""The "Care Homes Hackathon 2026" of domain section 12 (all people and places invented)."""

EVENT = {
    "name": 'Care Homes Hackathon 2026: "Living well in care homes"',
    "slug": "care-homes-2026",
    "venue": "Riverside Innovation Hub (step-free, hearing loop, quiet room, multi-faith "
    "room, crèche on request)",
    "description": "A two-day challenge hackathon ending in a Dragons' Den final, run by "
    "Riverside Health Innovation Network with Northshore Community Health NHS Trust. "
    "Seed funding from Northshore Health Charity (£15,000) and Riverside HIN (£10,000). "
    "Pitches are 4 minutes with 3 minutes of questions.",
    "pot_pounds": 25_000,
    "cap_pounds": 5_000,
}
# Days after "today" minus this offset is D0 (demo "today" is D+192).
TODAY_OFFSET_DAYS = 192

ORGANISERS = [
    ("Leah Brennan", "Event lead, Riverside HIN"),
    ("Sam Okoro", "Innovation manager, Northshore Trust"),
]

# code, name, role, is_chair
JUDGES = [
    ("J1", "Judith Pennant", "Deputy Chief Nurse, Northshore Trust", True),
    ("J2", "Gareth Lowry", "Programme Lead, Riverside HIN", False),
    ("J3", "Dr Priya Venkatesan", "Consultant Geriatrician", False),
    ("J4", "Tomasz Wren", "Chief Nursing Information Officer (digital), ICB", False),
    ("J5", "Sandra Achebe", "Finance Business Partner", False),
    ("J6", "Maureen Tilley", "Carer, Patient & Public Voice partner", False),
]
CONFLICTS = [
    ("T07", "J6", "My mother lives in the care home where a Tea & Talk member works")
]

# ref, title, owner, owner role, setting, one sentence, who, story, scale, better
PROBLEMS = [
    (
        "P1",
        "Residents don't drink enough",
        "Bernadette Cole",
        "Registered Nurse, Elmstead Lodge Nursing Home",
        "care_home_nursing",
        "Residents with dementia forget to drink or cannot reach drinks, and end up "
        "dehydrated.",
        "Residents, especially those living with dementia; care staff",
        "Fluid charts are half-complete by teatime. Residents with dementia forget to drink "
        "or cannot reach their drinks, and staff are too stretched to prompt everyone.",
        "7 dehydration or urinary infection admissions across 3 homes last winter.",
        "Every resident drinks enough every day, and staff can see at a glance who needs a "
        "drink.",
    ),
    (
        "P2",
        "Soft signs of deterioration are spotted too late",
        "Kwame Asante",
        "Community Matron, Northshore Trust",
        "care_home_residential",
        "Carers sense that a resident is unwell but cannot describe it, so help comes late.",
        "Residents; care staff; community nursing and out-of-hours teams",
        "Carers sense that something is not right but struggle to describe it on the phone. "
        "Calls happen late in the evening when fewer people can help.",
        "A third of ambulance conveyances from two homes happen after 6 pm.",
        "Early, confident calls in the daytime, and fewer avoidable night-time conveyances.",
    ),
    (
        "P3",
        "Lost hearing aids and wrong glasses cut residents off",
        "Rhiannon Price",
        "Audiologist, adult hearing service",
        "care_home_residential",
        "Residents cannot hear or see properly because aids are lost, broken or swapped.",
        "Residents with sensory loss; families; care staff",
        "Hearing aids go missing or stop working, and unlabelled glasses get swapped "
        "between residents. People withdraw and are wrongly thought to be confused.",
        "An audit found 1 in 3 hearing aids not working or not worn.",
        "Every resident has working, labelled hearing aids and glasses from day one.",
    ),
    (
        "P4",
        "Medicines pile up and go to waste",
        "Farah Siddiqui",
        "PCN Clinical Pharmacist",
        "care_home_nursing",
        "Repeat medicines keep arriving after they are stopped, and piles go to waste.",
        "Residents; care home staff; community pharmacies",
        "Monthly repeat orders run on autopilot. Stopped medicines are still delivered and "
        "returns bins are full every month.",
        "",
        "Homes order only what residents need, and stopped medicines stop arriving.",
    ),
    (
        "P5",
        "Vital information is lost when residents go to hospital",
        "Dr Owen Gallagher",
        "Emergency Department Consultant",
        "emergency_department",
        "Ambulance and ED staff arrive to no medication list or emergency care plan.",
        "Residents; paramedics; emergency department staff",
        "Crews arrive to no medication list, no baseline function and no emergency care "
        "plan, so decisions are made without knowing the person.",
        "",
        "Every transfer comes with a current summary that crews and ED staff can open.",
    ),
    (
        "P6",
        "Falls at night",
        "Chloe Nwosu",
        "Falls Prevention Physiotherapist",
        "care_home_nursing",
        "Residents fall at night on the way to the toilet in dark rooms.",
        "Residents at risk of falls; night staff",
        "Most falls happen between 22:00 and 06:00 on the way to the toilet. Rooms are dark "
        "and there are two night staff for 40 residents.",
        "",
        "Fewer night-time falls, with residents still independent and sleeping well.",
    ),
    (
        "P7",
        "Families feel shut out of daily life and decisions",
        "Derek Fairbairn",
        "Son of a resident",
        "care_home_residential",
        "Families far away hear news second-hand and big conversations happen in a crisis.",
        "Families; residents; care staff",
        "Families 200 miles away hear news second-hand. Big conversations about care and "
        "the end of life happen in a crisis rather than early.",
        "",
        "Families feel part of daily life and are involved in decisions early.",
    ),
    (
        "P8",
        "New and agency staff don't know the residents",
        "Angela Moss",
        "Registered Manager, Brookside Care Home",
        "care_home_residential",
        "Agency and new staff do not know residents' needs and preferences.",
        "Residents; new and agency staff; managers",
        "About 30% of night shifts are filled by agency staff. There is no time for "
        "induction and residents' preferences get lost.",
        "",
        "Every member of staff knows the people they care for from their first shift.",
    ),
]

CARE, NURSE, CLIN, LE, DEV, DES, ACA, IND, MGR = (
    "care_staff",
    "nurse_ahp",
    "clinician",
    "lived_experience",
    "developer",
    "designer",
    "academic",
    "industry",
    "manager",
)

# ref, team name, problem, idea, pitch type, ask, members [(name, background, role)]
TEAMS = [
    (
        "T01",
        "Sip Smart",
        "P1",
        "Colour-banded marked cups plus a one-tap shared tablet "
        "tally, with a hydration champion on each shift and 2 pm catch-up rounds",
        "service",
        4800,
        [
            ("Jodie Park", CARE, "Senior carer"),
            ("Bernadette Cole", CARE, "Registered Nurse"),
            ("Marcus Fenn", NURSE, "Dietitian"),
            ("Ruth Adeyemi", LE, "Daughter of a resident"),
            ("Tom Kerrigan", DEV, "Developer"),
            ("Aisha Rahman", DES, "Service designer"),
        ],
    ),
    (
        "T02",
        "Soft Signs",
        "P2",
        "Picture-based soft-signs prompt cards, a tablet checklist "
        "and a scripted call to the community team, aligned to the home's deterioration tool",
        "service",
        5000,
        [
            ("Kwame Asante", NURSE, "Community Matron"),
            ("Gemma Holt", CARE, "Care assistant"),
            ("Dr Lena Fischer", ACA, "Lecturer in nursing"),
            ("Olu Bamidele", DEV, "Developer"),
            ("Pat Greaves", LE, "Carer"),
        ],
    ),
    (
        "T03",
        "Hear Me Now",
        "P3",
        "A 72-hour hearing and vision welcome check on admission, "
        "hearing-aid care kits, labelled storage and a fast link to audiology",
        "service",
        3950,
        [
            ("Rhiannon Price", NURSE, "Audiologist"),
            ("Imran Qureshi", NURSE, "Optometrist"),
            ("Sue Brennan", CARE, "Senior carer"),
            ("Arthur Lomax", LE, "Resident's husband"),
            ("Mia Chen", DES, "Designer"),
        ],
    ),
    (
        "T04",
        "MedsMatch",
        "P4",
        "A monthly order-reconciliation checklist with do-not-reorder "
        "flags shared with the community pharmacy",
        "service",
        2400,
        [
            ("Farah Siddiqui", NURSE, "PCN Clinical Pharmacist"),
            ("Dean Walsh", NURSE, "Pharmacy technician"),
            ("Karen Doyle", CARE, "Deputy manager"),
            ("Jamie Ellis", DEV, "Data analyst"),
        ],
    ),
    (
        "T05",
        "Red Bag Digital",
        "P5",
        "A QR-code digital transfer summary that ambulance and ED staff can open",
        "digital",
        5000,
        [
            ("Dr Owen Gallagher", CLIN, "ED Consultant"),
            ("Lisa Hart", NURSE, "Paramedic"),
            ("Ben Carroway", DEV, "Developer"),
            ("Sofia Marin", DEV, "Developer"),
            ("Raj Kohli", IND, "Founder (declares a commercial interest)"),
            ("June Ashby", LE, "Carer"),
        ],
    ),
    (
        "T06",
        "FallSafe Nights",
        "P6",
        "Structured night comfort rounds and a "
        "motion-activated low-level lighting pilot in 10 rooms",
        "environment",
        4500,
        [
            ("Chloe Nwosu", NURSE, "Falls Prevention Physiotherapist"),
            ("Paul Greer", CARE, "Night carer"),
            ("Hannah Booth", CARE, "Night carer"),
            ("Dev Patel", ACA, "PhD student"),
            ("Graham Lowe", LE, "Resident's son"),
        ],
    ),
    (
        "T07",
        "Tea & Talk",
        "P7",
        "Scheduled video tea dates with families, volunteer digital "
        "buddies and a weekly photo-diary card",
        "service",
        1850,
        [
            ("Derek Fairbairn", LE, "Son of a resident"),
            ("Yvonne Clarke", CARE, "Activities coordinator"),
            ("Ellie Shaw", ACA, "Student"),
            ("Kieran Moss", DEV, "Developer"),
            ("Beryl Haines", LE, "Resident's sister"),
        ],
    ),
    (
        "T08",
        "Care Passport",
        "P8",
        "A one-page About me profile on each room door and the shared tablet",
        "training",
        1500,
        [
            ("Nadia Brook", CARE, "Senior carer"),
            ("Steve Ormerod", CARE, "Carer"),
            ("Linda Fairweather", LE, "Resident's daughter"),
            ("Zoe Hamid", DES, "Designer"),
        ],
    ),
    (
        "T09",
        "First Shift",
        "P8",
        "15-minute induction micro-videos and a buddy checklist for "
        "agency and new staff",
        "training",
        2750,
        [
            ("Angela Moss", CARE, "Registered Manager"),
            ("Femi Okonjo", CARE, "Senior carer"),
            ("Rachel Dunne", MGR, "Workforce manager"),
            ("Luca Bianchi", DES, "Video designer"),
            ("Margaret Oyelaran", LE, "Public contributor"),
        ],
    ),
    (
        "T10",
        "Night Navigator",
        "P6",
        "Bed and floor sensors with AI alerting to staff "
        "phones (commercial interest declared; £9,000 a year recurrent licence unfunded)",
        "digital",
        5000,
        [
            ("Craig Dalton", IND, "Founder"),
            ("Priyanka Joshi", IND, "Product manager"),
            ("Alex Turner", DEV, "Developer"),
            ("Dr Sam Whitlock", CLIN, "GP"),
        ],
    ),
    (
        "T11",
        "My Last Chapter",
        "P7",
        "Conversation cards and a family guide to start advance care planning early",
        "training",
        2200,
        [
            ("Fiona McRae", NURSE, "Palliative care CNS"),
            ("Doreen Platt", LE, "Carer"),
            ("Chris Ainsworth", CARE, "Carer"),
            ("Hollie Grant", ACA, "Researcher"),
        ],
    ),
    (
        "T12",
        "Ward Round Bot",
        "P2",
        "An AI chatbot to triage care-home calls to the GP "
        "practice (clinical-safety concerns)",
        "digital",
        5000,
        [
            ("Ethan Brookes", DEV, "Developer"),
            ("Noor Aziz", DEV, "Data scientist"),
            ("Will Parry", ACA, "Student"),
            ("Dr Jess Lambert", CLIN, "GP"),
        ],
    ),
]

RUNNING_ORDER = [
    "T05",
    "T11",
    "T01",
    "T08",
    "T03",
    "T10",
    "T07",
    "T12",
    "T02",
    "T09",
    "T04",
    "T06",
]

# Domain 12.6: team, judge, C1..C7 (1-5); J6 has a conflict on T07 and no scores.
SCORES_CSV = """\
T01,J1,5,5,3,4,4,4,4
T01,J2,5,5,4,5,4,5,4
T01,J3,4,5,4,4,3,4,4
T01,J4,4,5,5,5,4,5,3
T01,J5,4,4,4,5,4,4,5
T01,J6,4,5,4,4,4,4,5
T02,J1,4,4,4,4,4,4,3
T02,J2,5,5,5,5,4,5,4
T02,J3,4,4,4,3,3,4,3
T02,J4,4,4,4,4,3,4,4
T02,J5,5,4,3,3,3,4,4
T02,J6,4,4,4,3,4,4,5
T03,J1,4,4,4,4,3,3,4
T03,J2,5,4,5,5,4,5,4
T03,J3,3,5,5,4,4,2,3
T03,J4,5,5,4,4,4,3,5
T03,J5,5,5,4,4,4,3,3
T03,J6,4,5,5,4,5,4,4
T04,J1,3,3,3,5,4,3,4
T04,J2,4,4,3,5,5,5,4
T04,J3,3,3,2,3,4,2,3
T04,J4,4,4,3,4,5,4,4
T04,J5,4,4,3,5,5,4,3
T04,J6,4,4,4,5,5,4,4
T05,J1,4,4,3,3,3,4,3
T05,J2,5,5,4,4,3,4,4
T05,J3,4,4,3,2,2,4,2
T05,J4,4,4,4,1,4,4,4
T05,J5,4,4,3,3,3,4,3
T05,J6,4,4,4,3,3,5,3
T06,J1,4,5,4,3,3,4,4
T06,J2,4,5,4,5,4,3,4
T06,J3,4,4,2,3,3,3,3
T06,J4,4,4,4,4,3,3,3
T06,J5,3,3,3,3,3,4,3
T06,J6,4,4,4,3,4,3,3
T07,J1,4,4,5,3,3,3,5
T07,J2,4,4,4,4,4,4,5
T07,J3,4,4,5,3,3,2,4
T07,J4,3,3,5,3,4,3,5
T07,J5,4,3,5,3,4,4,4
T08,J1,4,4,3,4,4,3,3
T08,J2,4,4,4,4,4,4,4
T08,J3,2,2,3,3,3,3,3
T08,J4,3,3,4,3,5,2,3
T08,J5,3,3,4,3,3,4,4
T08,J6,3,4,4,4,4,4,4
T09,J1,4,3,4,4,5,3,3
T09,J2,5,4,5,4,5,3,4
T09,J3,3,3,4,4,4,3,4
T09,J4,3,4,3,4,3,3,4
T09,J5,3,3,4,2,4,3,4
T09,J6,3,4,3,3,5,2,5
T10,J1,3,3,3,3,2,4,3
T10,J2,4,4,3,3,4,3,4
T10,J3,3,3,3,3,2,3,3
T10,J4,2,5,3,3,3,4,3
T10,J5,3,4,2,3,2,3,2
T10,J6,3,3,3,3,3,4,3
T11,J1,4,3,4,4,3,3,4
T11,J2,4,3,4,3,4,3,4
T11,J3,3,3,3,3,3,2,3
T11,J4,4,3,5,3,3,3,4
T11,J5,3,3,4,3,3,2,4
T11,J6,3,4,5,3,4,3,5
T12,J1,2,4,3,3,3,2,4
T12,J2,3,4,4,3,4,4,4
T12,J3,2,2,2,2,3,2,3
T12,J4,3,3,3,3,3,3,3
T12,J5,3,3,3,4,2,2,3
T12,J6,2,4,3,4,3,3,4
"""

# The expected ranking of domain 12.7 (T06 above T09 by the tie-break on C2).
EXPECTED_RANKING = [
    "T01",
    "T03",
    "T02",
    "T04",
    "T07",
    "T06",
    "T09",
    "T05",
    "T08",
    "T11",
    "T10",
    "T12",
]

# Naomi Strand approves the allocation for Northshore Health Charity (domain 12.2).
FUNDER = ("Naomi Strand", "Head of Charity, Northshore Health Charity")

# Domain 12.7: team, decision, award (£), reduced scope, note to the team, conditions.
# "{repitch}" is the date of the autumn panel (D+155), filled in when loaded.
FUNDING = [
    ("T01", "full", 4800, "", "", ()),
    ("T03", "full", 3950, "", "", ()),
    (
        "T02",
        "conditions",
        5000,
        "",
        "The money is released once both conditions are met.",
        (
            "Review by the clinical-safety officer",
            "Sign-off by each pilot care home's manager",
        ),
    ),
    (
        "T04",
        "full",
        2400,
        "",
        "The panel advises adding a resident or family member to the team.",
        (),
    ),
    ("T07", "full", 1850, "", "", ()),
    ("T06", "full", 4500, "", "", ()),
    (
        "T09",
        "part",
        2500,
        "£250 of the £2,750 comes as match funding from the Brookside training budget.",
        "",
        (),
    ),
    (
        "T05",
        "support",
        0,
        "",
        "Help with information governance and a DPIA, and interoperability support "
        "from the ICB, instead of money. You are invited to re-pitch at the autumn "
        "panel on {repitch}.",
        (),
    ),
    (
        "T08",
        "signpost",
        0,
        "",
        "This is fundable from the home's existing training budget: the panel "
        "recommends asking the home manager.",
        (),
    ),
    (
        "T11",
        "decline",
        0,
        "",
        "Not funded this round. The panel has linked you to the ICS end-of-life care "
        "group, which is working on advance care planning.",
        (),
    ),
    (
        "T10",
        "decline",
        0,
        "",
        "Not funded: the £9,000 a year licence has no one to pay for it after the "
        "pilot, and the panel does not fund commercial products.",
        (),
    ),
    (
        "T12",
        "decline",
        0,
        "",
        "Not funded: the panel has clinical-safety concerns about triaging calls with "
        "a chatbot, and wants evidence that it is safe before a pilot.",
        (),
    ),
]
# When conditions were met (domain 12.8: T02's on D+64).
CONDITIONS_MET_DAY = 64

# Domain 12.7: People's Choice, 148 voters with exactly 3 different picks each (444
# votes), open through the final pitches (D+1 14:00-15:50) and shown apart from the
# panel's result.
PEOPLES_CHOICE = {
    "picks": 3,
    "voters": 148,
    "votes": {
        "T07": 71,
        "T01": 58,
        "T03": 49,
        "T02": 45,
        "T11": 41,
        "T06": 38,
        "T09": 33,
        "T05": 31,
        "T08": 29,
        "T04": 22,
        "T10": 15,
        "T12": 12,
    },
}
