from django.urls import path

from portal.agency import views

app_name = "agency"

urlpatterns = [
    path("", views.agency_list, name="list"),
    path("<slug:agency_slug>/", views.OverviewView.as_view(), name="overview"),
    path("<slug:agency_slug>/team/", views.TeamView.as_view(), name="team"),
]
