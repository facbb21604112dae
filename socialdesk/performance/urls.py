from .views import casedata, monitoring, records, returns, webhooks

app_name = "performance"
urlpatterns = [
    *returns.urlpatterns,
    *monitoring.urlpatterns,
    *records.urlpatterns,
    *webhooks.urlpatterns,
    *casedata.urlpatterns,
]
