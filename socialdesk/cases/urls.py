"""Pages of case management under /cases/."""

from django.urls import path

from .views import breakglass, cases, intake, people, referrals, work

app_name = "cases"

urlpatterns = [
    # People
    path("search/", people.search, name="search"),
    path("people/new/", people.person_register, name="person_register"),
    path("people/link/", people.person_link, name="person_link"),
    path("people/<int:person_id>/", people.person_detail, name="person_detail"),
    path("people/<int:person_id>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:person_id>/hkid/", people.person_hkid, name="person_hkid"),
    path("people/<int:person_id>/household/new/", people.household_add, name="household_add"),
    path("people/<int:person_id>/contacts/new/", people.contact_add, name="contact_add"),
    path("people/<int:person_id>/names/new/", people.alias_add, name="alias_add"),
    path("people/<int:person_id>/consents/new/", people.consent_add, name="consent_add"),
    path("consents/<int:consent_id>/withdraw/", people.consent_withdraw, name="consent_withdraw"),
    path("people/<int:person_id>/merge/", people.person_merge, name="person_merge"),
    path("people/<int:person_id>/access-log/", people.person_access_log, name="person_access_log"),
    path("people/<int:person_id>/refer/", referrals.referral_new, name="referral_new"),
    # Intake
    path("intakes/", intake.intake_list, name="intake_list"),
    path("intakes/<int:intake_id>/", intake.intake_detail, name="intake_detail"),
    path("intakes/<int:intake_id>/assign/", intake.intake_assign, name="intake_assign"),
    path("intakes/<int:intake_id>/interview/", intake.intake_interview, name="intake_interview"),
    path("intakes/<int:intake_id>/close/", intake.intake_close, name="intake_close"),
    path("intakes/<int:intake_id>/open-case/", intake.intake_open_case, name="intake_open_case"),
    # Cases
    path("", cases.case_list, name="case_list"),
    path("<int:case_id>/", cases.case_detail, name="case_detail"),
    path("<int:case_id>/notes/new/", cases.note_add, name="note_add"),
    path("notes/<int:note_id>/edit/", cases.note_edit, name="note_edit"),
    path("<int:case_id>/assessments/new/", cases.assessment_new, name="assessment_new"),
    path("assessments/<int:assessment_id>/", cases.assessment_detail, name="assessment_detail"),
    path("<int:case_id>/plans/new/", cases.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/submit/", cases.plan_submit, name="plan_submit"),
    path("plans/<int:plan_id>/decide/", cases.plan_decide, name="plan_decide"),
    path("<int:case_id>/reviews/new/", cases.review_add, name="review_add"),
    path("<int:case_id>/workers/", cases.case_workers, name="case_workers"),
    path("<int:case_id>/close/", cases.case_close, name="case_close"),
    path("<int:case_id>/close/decide/", cases.case_close_decide, name="case_close_decide"),
    path("<int:case_id>/reopen/", cases.case_reopen, name="case_reopen"),
    # Referrals
    path("referrals/", referrals.referral_inbox, name="referral_inbox"),
    path("referrals/sent/", referrals.referral_outbox, name="referral_outbox"),
    path("referrals/<int:referral_id>/", referrals.referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/accept/", referrals.referral_accept, name="referral_accept"),
    path(
        "referrals/<int:referral_id>/decline/",
        referrals.referral_decline,
        name="referral_decline",
    ),
    path(
        "referrals/<int:referral_id>/withdraw/",
        referrals.referral_withdraw,
        name="referral_withdraw",
    ),
    path(
        "attachments/<int:attachment_id>/",
        referrals.attachment_download,
        name="attachment_download",
    ),
    # My work
    path("my-work/", work.my_work, name="my_work"),
    # Break the glass
    path("break-glass/", breakglass.break_glass, name="break_glass"),
    path("break-glass/review/", breakglass.break_glass_list, name="break_glass_list"),
    path("break-glass/<int:access_id>/", breakglass.break_glass_review, name="break_glass_review"),
    path("break-glass/<int:access_id>/end/", breakglass.break_glass_end, name="break_glass_end"),
]
