"""The 32 core capabilities of the US National Preparedness Goal (2nd ed., 2015).

Reference data: scenarios, plans and observations name capabilities by these exact names,
so a typo is caught at load time rather than producing an unrated capability in the report.
"""

from __future__ import annotations

from enum import StrEnum


class MissionArea(StrEnum):
    PREVENTION = "prevention"
    PROTECTION = "protection"
    MITIGATION = "mitigation"
    RESPONSE = "response"
    RECOVERY = "recovery"


CORE_CAPABILITIES: dict[str, tuple[MissionArea, ...]] = {
    "Planning": (
        MissionArea.PREVENTION,
        MissionArea.PROTECTION,
        MissionArea.MITIGATION,
        MissionArea.RESPONSE,
        MissionArea.RECOVERY,
    ),
    "Public Information and Warning": (
        MissionArea.PREVENTION,
        MissionArea.PROTECTION,
        MissionArea.MITIGATION,
        MissionArea.RESPONSE,
        MissionArea.RECOVERY,
    ),
    "Operational Coordination": (
        MissionArea.PREVENTION,
        MissionArea.PROTECTION,
        MissionArea.MITIGATION,
        MissionArea.RESPONSE,
        MissionArea.RECOVERY,
    ),
    "Intelligence and Information Sharing": (MissionArea.PREVENTION, MissionArea.PROTECTION),
    "Interdiction and Disruption": (MissionArea.PREVENTION, MissionArea.PROTECTION),
    "Screening, Search, and Detection": (MissionArea.PREVENTION, MissionArea.PROTECTION),
    "Forensics and Attribution": (MissionArea.PREVENTION,),
    "Access Control and Identity Verification": (MissionArea.PROTECTION,),
    "Cybersecurity": (MissionArea.PROTECTION,),
    "Physical Protective Measures": (MissionArea.PROTECTION,),
    "Risk Management for Protection Programs and Activities": (MissionArea.PROTECTION,),
    "Supply Chain Integrity and Security": (MissionArea.PROTECTION,),
    "Community Resilience": (MissionArea.MITIGATION,),
    "Long-term Vulnerability Reduction": (MissionArea.MITIGATION,),
    "Risk and Disaster Resilience Assessment": (MissionArea.MITIGATION,),
    "Threats and Hazards Identification": (MissionArea.MITIGATION,),
    "Critical Transportation": (MissionArea.RESPONSE,),
    "Environmental Response/Health and Safety": (MissionArea.RESPONSE,),
    "Fatality Management Services": (MissionArea.RESPONSE,),
    "Fire Management and Suppression": (MissionArea.RESPONSE,),
    "Logistics and Supply Chain Management": (MissionArea.RESPONSE,),
    "Mass Care Services": (MissionArea.RESPONSE,),
    "Mass Search and Rescue Operations": (MissionArea.RESPONSE,),
    "On-scene Security, Protection, and Law Enforcement": (MissionArea.RESPONSE,),
    "Operational Communications": (MissionArea.RESPONSE,),
    "Public Health, Healthcare, and Emergency Medical Services": (MissionArea.RESPONSE,),
    "Situational Assessment": (MissionArea.RESPONSE,),
    "Infrastructure Systems": (MissionArea.RESPONSE, MissionArea.RECOVERY),
    "Economic Recovery": (MissionArea.RECOVERY,),
    "Health and Social Services": (MissionArea.RECOVERY,),
    "Housing": (MissionArea.RECOVERY,),
    "Natural and Cultural Resources": (MissionArea.RECOVERY,),
}
