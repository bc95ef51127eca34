"""ICH ICSR 2.1 element names and their E2B(R2) field references (for loss reports).

Transcribed from the ICH M2 DTD ``icsr21xml.dtd`` (field refs as in its comments).
"""

from __future__ import annotations

from typing import Final

_PAIRS: Final = (
    "actiondrug=B.4.k.16 activesubstancename=B.4.k.2.2 additionaldocument=A.1.8.1 "
    "authoritynumb=A.1.10.1 casenullification=A.1.13 companynumb=A.1.10.2 "
    "documentlist=A.1.8.2 drugadditional=B.4.k.19 drugadministrationroute=B.4.k.8 "
    "drugassessmentmethod=B.4.k.18.3 drugassessmentsource=B.4.k.18.2 "
    "drugauthorizationcountry=B.4.k.4.2 drugauthorizationholder=B.4.k.4.3 "
    "drugauthorizationnumb=B.4.k.4.1 drugbatchnumb=B.4.k.3 drugcharacterization=B.4.k.1 "
    "drugcumulativedosagenumb=B.4.k.5.6 drugcumulativedosageunit=B.4.k.5.7 "
    "drugdosageform=B.4.k.7 drugdosagetext=B.4.k.6 drugenddate=B.4.k.14b "
    "drugenddateformat=B.4.k.14a drugindication=B.4.k.11b "
    "drugindicationmeddraversion=B.4.k.11a drugintervaldosagedefinition=B.4.k.5.5 "
    "drugintervaldosageunitnumb=B.4.k.5.4 druglastperiod=B.4.k.13.2a "
    "druglastperiodunit=B.4.k.13.2b drugparadministration=B.4.k.9 "
    "drugreactionasses=B.4.k.18.1 drugreactionassesmeddraversion=B.4.k.18.1a "
    "drugrecuraction=B.4.k.17.2b drugrecuractionmeddraversion=B.4.k.17.2a "
    "drugrecurreadministration=B.4.k.17.1 drugresult=B.4.k.18.4 "
    "drugseparatedosagenumb=B.4.k.5.3 drugstartdate=B.4.k.12b drugstartdateformat=B.4.k.12a "
    "drugstartperiod=B.4.k.13.1a drugstartperiodunit=B.4.k.13.1b "
    "drugstructuredosagenumb=B.4.k.5.1 drugstructuredosageunit=B.4.k.5.2 "
    "drugtreatmentduration=B.4.k.15a drugtreatmentdurationunit=B.4.k.15b duplicate=A.1.11 "
    "duplicatenumb=A.1.11.2 duplicatesource=A.1.11.1 fulfillexpeditecriteria=A.1.9 "
    "gestationperiod=B.1.2.2.1a gestationperiodunit=B.1.2.2.1b hightestrange=B.3.1.2 "
    "lastmenstrualdateformat=B.1.6a linkreportnumb=A.1.12 literaturereference=A.2.2 "
    "lowtestrange=B.3.1.1 medicallyconfirm=A.1.14 medicinalproduct=B.4.k.2.1 "
    "messagedate=M.1.7.b messagedateformat=M.1.7.a messageformatrelease=M.1.3 "
    "messageformatversion=M.1.2 messagenumb=M.1.4 messagereceiveridentifier=M.1.6 "
    "messagesenderidentifier=M.1.5 messagetype=M.1.1 moreinformation=B.3.1.3 "
    "narrativeincludeclinical=B.5.1 nullificationreason=A.1.13.1 observestudytype=A.2.3.3 "
    "obtaindrugcountry=B.4.k.2.3 occurcountry=A.1.2 parentage=B.1.10.2.2a "
    "parentageunit=B.1.10.2.2b parentbirthdate=B.1.10.2.1b parentbirthdateformat=B.1.10.2.1a "
    "parentdrgindicationmeddraversion=B.1.10.8f.1 parentdrgreactionmeddraversion=B.1.10.8g.1 "
    "parentdrugenddate=B.1.10.8e parentdrugenddateformat=B.1.10.8d "
    "parentdrugindication=B.1.10.8f.2 parentdrugname=B.1.10.8a parentdrugreaction=B.1.10.8g "
    "parentdrugstartdate=B.1.10.8c parentdrugstartdateformat=B.1.10.8b parentheight=B.1.10.5 "
    "parentidentification=B.1.10.1 parentlastmenstrualdate=B.1.10.3b "
    "parentlastmenstrualdateformat=B.1.10.3a parentmdepisodemeddraversion=B.1.10.7.1a.1 "
    "parentmedicalcomment=B.1.10.7.1g parentmedicalcontinue=B.1.10.7.1d "
    "parentmedicalenddate=B.1.10.7.1f parentmedicalenddateformat=B.1.10.7.1e "
    "parentmedicalepisodename=B.1.10.7.1a.2 parentmedicalrelevanttext=B.1.10.7.2 "
    "parentmedicalstartdate=B.1.10.7.1c parentmedicalstartdateformat=B.1.10.7.1b "
    "parentsex=B.1.10.6 parentweight=B.1.10.4 patientagegroup=B.1.2.3 "
    "patientautopsyyesno=B.1.9.3 patientbirthdate=B.1.2.1b patientbirthdateformat=B.1.2.1a "
    "patientdeathdate=B.1.9.1b patientdeathdateformat=B.1.9.1a patientdeathreport=B.1.9.2.b "
    "patientdeathreportmeddraversion=B.1.9.2.a patientdetermautopsmeddraversion=B.1.9.4a "
    "patientdetermineautopsy=B.1.9.4b patientdrgreactionmeddraversion=B.1.8g.1 "
    "patientdrugenddate=B.1.8e patientdrugenddateformat=B.1.8d "
    "patientdrugindication=B.1.8f.2 patientdrugname=B.1.8a patientdrugreaction=B.1.8g.2 "
    "patientdrugstartdate=B.1.8c patientdrugstartdateformat=B.1.8b "
    "patientepisodename=B.1.7.1a.2 patientepisodenamemeddraversion=B.1.7.1a.1 "
    "patientgpmedicalrecordnumb=B.1.1.1a patientheight=B.1.4 "
    "patienthospitalrecordnumb=B.1.1.1b patientindicationmeddraversion=B.1.8f.1 "
    "patientinitial=B.1.1 patientinvestigationnumb=B.1.1.1d patientlastmenstrualdate=B.1.6b "
    "patientmedicalcomment=B.1.7.1g patientmedicalcontinue=B.1.7.1d "
    "patientmedicalenddate=B.1.7.1f patientmedicalenddateformat=B.1.7.1e "
    "patientmedicalhistorytext=B.1.7.2 patientmedicalstartdate=B.1.7.1c "
    "patientmedicalstartdateformat=B.1.7.1b patientonsetage=B.1.2.2a "
    "patientonsetageunit=B.1.2.2b patientsex=B.1.5 patientspecialistrecordnumb=B.1.1.1b "
    "patientweight=B.1.3 primarysourcecountry=A.1.1 primarysourcereaction=B.2.i.0 "
    "qualification=A.2.1.4 reactionduration=B.2.i.6a reactiondurationunit=B.2.i.6b "
    "reactionenddate=B.2.i.5b reactionenddateformat=B.2.i.5a reactionfirsttime=B.2.i.7.1a "
    "reactionfirsttimeunit=B.2.i.7.1b reactiongestationperiod=B.4.k.10a "
    "reactiongestationperiodunit=B.4.k.10b reactionlasttime=B.2.i.7.2a "
    "reactionlasttimeunit=B.2.i.7.2b reactionmeddrallt=B.2.i.1.b reactionmeddrapt=B.2.i.2.b "
    "reactionmeddraversionllt=B.2.i.1.a reactionmeddraversionpt=B.2.i.2.a "
    "reactionoutcome=B.2.i.8 reactionstartdate=B.2.i.4b reactionstartdateformat=B.2.i.4a "
    "receiptdate=A.1.7.b receiptdateformat=A.1.7.a receivedate=A.1.6.b "
    "receivedateformat=A.1.6.a receivercity=A.3.2.3b receivercountrycode=A.3.2.3e "
    "receiverdepartment=A.3.2.2b receiveremailaddress=A.3.2.3l receiverfamilyname=A.3.2.2f "
    "receiverfax=A.3.2.3i receiverfaxcountrycode=A.3.2.3k receiverfaxextension=A.3.2.3j "
    "receivergivename=A.3.2.2d receivermiddlename=A.3.2.2e receiverorganization=A.3.2.2a "
    "receiverpostcode=A.3.2.3d receiverstate=A.3.2.3c receiverstreetaddress=A.3.2.3a "
    "receivertel=A.3.2.3f receivertelcountrycode=A.3.2.3h receivertelextension=A.3.2.3g "
    "receivertitle=A.3.2.2c receivertype=A.3.2.1 reportercity=A.2.1.2d reportercomment=B.5.2 "
    "reportercountry=A.2.1.3 reporterdepartment=A.2.1.2b reporterfamilyname=A.2.1.1d "
    "reportergivename=A.2.1.1b reportermiddlename=A.2.1.1c reporterorganization=A.2.1.2a "
    "reporterpostcode=A.2.1.2f reporterstate=A.2.1.2e reporterstreet=A.2.1.2c "
    "reportertitle=A.2.1.1a reporttype=A.1.4 resultstestsprocedures=B.3.2 "
    "safetyreportid=A.1.0.1 safetyreportversion=A.1.0.1 sendercity=A.3.1.4b "
    "sendercomment=B.5.4 sendercountrycode=A.3.1.4e senderdepartment=A.3.1.3a "
    "senderdiagnosis=B.5.3b senderdiagnosismeddraversion=B.5.3a senderemailaddress=A.3.1.4l "
    "senderfamilyname=A.3.1.3e senderfax=A.3.1.4i senderfaxcountrycode=A.3.1.4k "
    "senderfaxextension=A.3.1.4j sendergivename=A.3.1.3c sendermiddlename=A.3.1.3d "
    "senderorganization=A.3.1.2 senderpostcode=A.3.1.4d senderstate=A.3.1.4c "
    "senderstreetaddress=A.3.1.4a sendertel=A.3.1.4f sendertelcountrycode=A.3.1.4h "
    "sendertelextension=A.3.1.4g sendertitle=A.3.1.3b sendertype=A.3.1.1 serious=A.1.5.1 "
    "seriousnesscongenitalanomali=A.1.5.2e seriousnessdeath=A.1.5.2a "
    "seriousnessdisabling=A.1.5.2d seriousnesshospitalization=A.1.5.2c "
    "seriousnesslifethreatening=A.1.5.2b seriousnessother=A.1.5.2f sponsorstudynumb=A.2.3.2 "
    "studyname=A.2.3.1 termhighlighted=B.2.i.3 testdate=B.3.1b testdateformat=B.3.1a "
    "testname=B.3.1c testresult=B.3.1d testunit=B.3.1e transmissiondate=A.1.3b "
    "transmissiondateformat=A.1.3a "
)

#: leaf element name -> E2B(R2) field reference, e.g. ``"reactionmeddrapt" -> "B.2.i.2.b"``
FIELD_REF: Final[dict[str, str]] = {
    name: field_ref for name, _, field_ref in (pair.partition("=") for pair in _PAIRS.split())
}

#: the container elements of the DTD (no field reference of their own)
CONTAINERS: Final = frozenset(
    {
        "ichicsr",
        "ichicsrmessageheader",
        "safetyreport",
        "reportduplicate",
        "linkedreport",
        "primarysource",
        "sender",
        "receiver",
        "patient",
        "medicalhistoryepisode",
        "patientpastdrugtherapy",
        "patientdeath",
        "patientdeathcause",
        "patientautopsy",
        "parent",
        "parentmedicalhistoryepisode",
        "parentpastdrugtherapy",
        "reaction",
        "test",
        "drug",
        "activesubstance",
        "drugrecurrence",
        "drugreactionrelatedness",
        "summary",
    }
)


def ref(tag: str) -> str:
    """The field reference of an ICH 2.1 element, or the tag itself (regional elements)."""
    return FIELD_REF.get(tag, tag)
