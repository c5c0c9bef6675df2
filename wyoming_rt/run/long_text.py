"""A long answer of the kind users' TTS complaints are about: an LLM reply of several paragraphs
(HA core issues 148602 and 134910: long texts that time out, break off or come back cut)."""

LONG_ANSWER = (
    "Good morning! Here is your summary for today. Outside it is eleven degrees and cloudy, with a "
    "light wind from the west. Rain is likely from about three in the afternoon until early evening, "
    "so take an umbrella if you are going out later. Tomorrow looks drier and a little warmer, with "
    "sunny spells in the morning and a high of fifteen degrees.\n\n"
    "In the house, the living room is at twenty one degrees and the bedrooms are at nineteen. The "
    "heating will switch to the evening schedule at six. The kitchen window has been open for forty "
    "minutes, so the radiator under it has been turned down until you close it. The washing machine "
    "finished its cycle at eight fifteen, and the dishwasher will start at midnight when electricity "
    "is cheapest. The front door is locked, the garage door is closed, and the back garden lights "
    "will come on at sunset, which is at four fifty two this afternoon.\n\n"
    "Your calendar has three things today. At ten you have a call with the building manager about "
    "the new bicycle storage. At half past twelve there is lunch with Sam at the place on the corner "
    "of Park Street. At four the car is booked in for its yearly service, and the garage asked you to "
    "leave the keys at the front desk. You also asked me to remind you to water the plants on the "
    "balcony and to order more coffee filters, which are almost gone.\n\n"
    "Energy use yesterday was a little lower than the week before. The solar panels produced nine "
    "kilowatt hours, most of it between eleven and two, and the battery was full by one o'clock. If "
    "the forecast holds, today will produce less, so the car will charge from the grid tonight at the "
    "cheaper rate unless you tell me otherwise. Is there anything else you would like me to do before "
    "you leave? I can turn off the lights upstairs, set the alarm, or start the robot vacuum in the "
    "hallway while you are out.\n\n"
    "One more thing: the smoke detector in the hallway reported a low battery last night at eleven forty. "
    "It still works, but it will start to chirp within a few days, so it would be good to replace the "
    "battery this weekend. There are two spare nine volt batteries in the drawer under the microwave. The "
    "water leak sensor under the kitchen sink is fine, and the freezer has held minus eighteen degrees all "
    "week. Have a good day, and I will let you know if anything changes while you are away."
)

LLM_ANSWER = (
    "Good morning! Here is your summary for today. Outside it is eleven degrees and cloudy, with a light wind from the west."
)
"""A short LLM answer: past HA's 60 characters, so it is streamed delta by delta."""

__all__ = ["LLM_ANSWER", "LONG_ANSWER"]
