from django.urls import path

from portal.agency import views

app_name = "agency"

urlpatterns = [
    path("", views.agency_list, name="list"),
    path("<slug:agency_slug>/", views.OverviewView.as_view(), name="overview"),
    path("<slug:agency_slug>/queue/", views.CombinedQueueView.as_view(), name="queue"),
    path("<slug:agency_slug>/team/", views.TeamView.as_view(), name="team"),
    path("<slug:agency_slug>/team/<int:membership_id>/", views.MemberChangeView.as_view(), name="member"),
]
