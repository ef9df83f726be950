//! Invented place names and naming patterns for synthetic organisations and projects.
//!
//! The towns are made up so that no synthetic figure can be mistaken for a real trust's.

use b2h_entity::enums::{PathwayStage, ProjectSetting};

/// A part of the UK the seed spreads projects over: an NHS England region or a nation.
pub struct Area {
    pub nation: &'static str,
    pub region: Option<&'static str>,
    /// Relative share of organisations.
    pub weight: u32,
    pub towns: &'static [&'static str],
    pub kind: NhsStyle,
}

/// How NHS bodies are named in each nation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NhsStyle {
    EnglandTrust,
    WalesHealthBoard,
    ScotlandBoard,
    NorthernIrelandTrust,
}

pub static AREAS: [Area; 10] = [
    Area {
        nation: "E92000001",
        region: Some("E40000003"),
        weight: 14,
        towns: &[
            "Aldermere",
            "Brixwood",
            "Camberleigh",
            "Dulmoor",
            "Eastwick Vale",
            "Fenchurch Green",
            "Greywell",
            "Harrowmead",
            "Islingford",
            "Kennet Cross",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000005"),
        weight: 14,
        towns: &[
            "Ashcombe",
            "Bramsford",
            "Chalkhurst",
            "Downley",
            "Eversholt Bay",
            "Farnleigh",
            "Guildmere",
            "Hartsea",
            "Idenbridge",
            "Kestrel Downs",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000006"),
        weight: 10,
        towns: &[
            "Avonleigh",
            "Bridcombe",
            "Culmstock Vale",
            "Dartleigh",
            "Exmere",
            "Fowey Cross",
            "Glastonmoor",
            "Hembury",
            "Ilsworth",
            "Kingsbrook",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000007"),
        weight: 10,
        towns: &[
            "Breckmere",
            "Colnbury",
            "Denwick",
            "Elvesham",
            "Fenland Vale",
            "Gippingford",
            "Haverleigh",
            "Ixworth Green",
            "Kesgrave Marsh",
            "Lydford",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000010"),
        weight: 13,
        towns: &[
            "Ashworth",
            "Boltmoor",
            "Carrbridge",
            "Darwenholme",
            "Eccleston Vale",
            "Fylde Cross",
            "Garstang Moor",
            "Hesketh",
            "Irwell",
            "Kendleby",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000011"),
        weight: 16,
        towns: &[
            "Arden Heath",
            "Bosworth Vale",
            "Charnwood Cross",
            "Dovebridge",
            "Erewash Green",
            "Foxton",
            "Gresley",
            "Hinckmere",
            "Ilkeston Vale",
            "Kenilbrook",
            "Leamwick",
            "Mercot",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "E92000001",
        region: Some("E40000012"),
        weight: 14,
        towns: &[
            "Airedale Cross",
            "Bramham",
            "Calderbury",
            "Dearnley",
            "Eskdale Vale",
            "Fossbridge",
            "Garforth Moor",
            "Holmebeck",
            "Ingleby Marsh",
            "Kirkhaven",
            "Lindholme",
        ],
        kind: NhsStyle::EnglandTrust,
    },
    Area {
        nation: "W92000004",
        region: None,
        weight: 4,
        towns: &[
            "Aberdyfi Vale",
            "Brynmawr Cross",
            "Cwmtaf Uchaf",
            "Dyfnant",
            "Eglwysfach",
        ],
        kind: NhsStyle::WalesHealthBoard,
    },
    Area {
        nation: "S92000003",
        region: None,
        weight: 3,
        towns: &[
            "Ardmore",
            "Balloch Vale",
            "Carnbeg",
            "Dunmorran",
            "Eilean Glas",
        ],
        kind: NhsStyle::ScotlandBoard,
    },
    Area {
        nation: "N92000002",
        region: None,
        weight: 2,
        towns: &["Ardglen", "Ballycross", "Carrickmore Vale", "Dunmurry Glen"],
        kind: NhsStyle::NorthernIrelandTrust,
    },
];

pub const ENGLAND_TRUST_SUFFIXES: [&str; 5] = [
    "Hospitals NHS Trust",
    "Teaching Hospitals NHS Foundation Trust",
    "Community Healthcare NHS Trust",
    "University Hospitals NHS Foundation Trust",
    "Health and Care NHS Foundation Trust",
];

pub const COMMUNITY_SUFFIXES: [&str; 8] = [
    "Volunteer Centre",
    "Council for Voluntary Service",
    "Carers Network",
    "Befriending Service",
    "Hospital Friends",
    "Community Action",
    "Neighbourhood Care",
    "Later Life Alliance",
];

pub const PARTNER_SUFFIXES: [(&str, b2h_entity::enums::OrganisationKind); 6] = [
    ("Hospice", b2h_entity::enums::OrganisationKind::Hospice),
    (
        "Borough Council",
        b2h_entity::enums::OrganisationKind::LocalAuthority,
    ),
    (
        "Integrated Care Board",
        b2h_entity::enums::OrganisationKind::IntegratedCareBoard,
    ),
    (
        "Community Interest Company",
        b2h_entity::enums::OrganisationKind::SocialEnterprise,
    ),
    (
        "Age Friendly Trust",
        b2h_entity::enums::OrganisationKind::Charity,
    ),
    (
        "Evaluation Partnership",
        b2h_entity::enums::OrganisationKind::Other,
    ),
];

/// The campaign's five funders.
pub const FUNDERS: [(&str, &str); 5] = [
    ("Oak Foundation", "OAK"),
    ("Burdett Trust for Nursing", "BTN"),
    ("John Armitage Charitable Trust", "JACT"),
    ("Garfield Weston Foundation", "GWF"),
    ("Peacock Charitable Trust", "PCT"),
];

/// Service templates: title, primary stage, further stages, setting.
pub struct Service {
    pub title: &'static str,
    pub primary: PathwayStage,
    pub further: &'static [PathwayStage],
    pub setting: ProjectSetting,
    pub roles: &'static [&'static str],
}

use PathwayStage::{GettingWell, LivingWell, RecoveringWell, WaitingWell};
use ProjectSetting::{Community, EmergencyDepartment, Home, Hospital, Outpatient, Virtual};

pub const SERVICES: [Service; 12] = [
    Service {
        title: "Waiting Well telephone support",
        primary: WaitingWell,
        further: &[],
        setting: Virtual,
        roles: &["Telephone befriender", "Prehabilitation buddy"],
    },
    Service {
        title: "Prehabilitation walking groups",
        primary: WaitingWell,
        further: &[LivingWell],
        setting: Community,
        roles: &["Walk leader", "Peer supporter"],
    },
    Service {
        title: "Outpatient navigators",
        primary: WaitingWell,
        further: &[GettingWell],
        setting: Outpatient,
        roles: &["Wayfinder", "Clinic companion"],
    },
    Service {
        title: "Emergency department companions",
        primary: GettingWell,
        further: &[],
        setting: EmergencyDepartment,
        roles: &["ED companion", "Refreshment volunteer"],
    },
    Service {
        title: "Ward mealtime and activity volunteers",
        primary: GettingWell,
        further: &[RecoveringWell],
        setting: Hospital,
        roles: &["Mealtime helper", "Activity volunteer", "Ward companion"],
    },
    Service {
        title: "End of life companions",
        primary: GettingWell,
        further: &[],
        setting: Hospital,
        roles: &["End of life companion"],
    },
    Service {
        title: "Home from hospital service",
        primary: RecoveringWell,
        further: &[LivingWell],
        setting: Home,
        roles: &[
            "Discharge buddy",
            "Settling-in volunteer",
            "Volunteer driver",
        ],
    },
    Service {
        title: "Discharge lounge and transport volunteers",
        primary: RecoveringWell,
        further: &[],
        setting: Hospital,
        roles: &["Discharge lounge host", "Volunteer driver"],
    },
    Service {
        title: "Medicines delivery volunteers",
        primary: RecoveringWell,
        further: &[GettingWell],
        setting: Home,
        roles: &["Pharmacy runner", "Volunteer driver"],
    },
    Service {
        title: "Community wellbeing befriending",
        primary: LivingWell,
        further: &[RecoveringWell],
        setting: Community,
        roles: &["Befriender", "Peer supporter"],
    },
    Service {
        title: "Staff wellbeing hubs",
        primary: LivingWell,
        further: &[],
        setting: Hospital,
        roles: &["Wellbeing hub host", "Response volunteer"],
    },
    Service {
        title: "Virtual volunteer response team",
        primary: LivingWell,
        further: &[WaitingWell, RecoveringWell],
        setting: Virtual,
        roles: &["Response volunteer", "Digital champion"],
    },
];

/// Three capital letters for references: the initials of a town's words, padded with its letters.
pub fn abbreviation(town: &str) -> String {
    let initials: String = town
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .collect();
    let letters: String = town.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    initials
        .chars()
        .chain(letters.chars().skip(1))
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    #[test]
    fn abbreviations_are_three_letters() {
        assert_eq!(super::abbreviation("Kennet Cross"), "KCE");
        assert_eq!(super::abbreviation("Aldermere"), "ALD");
    }
}
